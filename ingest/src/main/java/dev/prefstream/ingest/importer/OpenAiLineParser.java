package dev.prefstream.ingest.importer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.PreferenceEvent;

import java.util.List;

/**
 * OpenAI preference fine-tuning (DPO) lines: {@code {"input": {"messages": [...]}, "preferred_output": [messages],
 * "non_preferred_output": [messages]}}. Message contents may be strings or lists of text parts.
 */
final class OpenAiLineParser implements LineParser {

    @Override
    public PreferenceEvent parse(JsonNode line, PreferenceEvent.Builder base) {
        JsonNode input = JsonFields.required(line, "input");
        List<ChatMessage> prompt = JsonFields.messages(JsonFields.required(input, "messages"), "input.messages");
        String preferred = JsonFields.answer(JsonFields.messages(JsonFields.required(line, "preferred_output"), "preferred_output"));
        String nonPreferred = JsonFields.answer(JsonFields.messages(JsonFields.required(line, "non_preferred_output"), "non_preferred_output"));
        return Comparisons.of(base, "openai-import", prompt, preferred, nonPreferred);
    }
}
