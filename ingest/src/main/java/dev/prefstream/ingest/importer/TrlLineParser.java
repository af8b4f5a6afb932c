package dev.prefstream.ingest.importer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.PreferenceEvent;

import java.util.List;

/**
 * TRL preference datasets:
 * <ul>
 *   <li>standard, explicit prompt: {@code {"prompt": "...", "chosen": "...", "rejected": "..."}} (the prompt is one user message)</li>
 *   <li>conversational: {@code {"prompt": [messages], "chosen": [messages], "rejected": [messages]}}</li>
 *   <li>conversational, implicit prompt: {@code {"chosen": [messages], "rejected": [messages]}}: the messages both
 *       start with are the prompt, the rest are the answers</li>
 * </ul>
 * Standard data with an implicit prompt (plain strings that share a prefix) is rejected: where the prompt ends is
 * a guess ({@code --format hh-rlhf} reads the HH transcripts among them).
 */
final class TrlLineParser implements LineParser {

    @Override
    public PreferenceEvent parse(JsonNode line, PreferenceEvent.Builder base) {
        JsonNode chosen = JsonFields.required(line, "chosen");
        JsonNode rejected = JsonFields.required(line, "rejected");
        JsonNode prompt = line.get("prompt");
        if (chosen.isTextual() && rejected.isTextual()) {
            if (prompt == null || prompt.isNull()) {
                throw new LineRejectedException("implicit_prompt", "standard (string) chosen/rejected without a \"prompt\": the prompt cannot be told from the answer");
            }
            List<ChatMessage> messages = prompt.isTextual() ? List.of(new ChatMessage("user", prompt.asText())) : JsonFields.messages(prompt, "prompt");
            return Comparisons.of(base, "trl-import", messages, chosen.asText(), rejected.asText());
        }
        List<ChatMessage> chosenMessages = JsonFields.messages(chosen, "chosen");
        List<ChatMessage> rejectedMessages = JsonFields.messages(rejected, "rejected");
        if (prompt != null && !prompt.isNull()) {
            List<ChatMessage> messages = prompt.isTextual() ? List.of(new ChatMessage("user", prompt.asText())) : JsonFields.messages(prompt, "prompt");
            return Comparisons.of(base, "trl-import", messages, JsonFields.answer(chosenMessages), JsonFields.answer(rejectedMessages));
        }
        int shared = 0;
        while (shared < chosenMessages.size() - 1 && shared < rejectedMessages.size() - 1
                && chosenMessages.get(shared).equals(rejectedMessages.get(shared))) {
            shared++;
        }
        if (shared == 0) {
            throw new LineRejectedException("implicit_prompt", "conversational chosen/rejected without a \"prompt\" share no leading messages");
        }
        return Comparisons.of(base, "trl-import", chosenMessages.subList(0, shared),
                JsonFields.answer(chosenMessages.subList(shared, chosenMessages.size())),
                JsonFields.answer(rejectedMessages.subList(shared, rejectedMessages.size())));
    }
}
