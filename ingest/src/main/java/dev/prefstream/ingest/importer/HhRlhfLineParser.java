package dev.prefstream.ingest.importer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prefstream.ingest.canonical.ContentHash;
import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.PreferenceEvent;

import java.util.List;

/**
 * Anthropic HH-RLHF: {@code {"chosen": "\n\nHuman: ...\n\nAssistant: ...", "rejected": "..."}}. Each transcript is
 * split at its turn markers ({@link HhTranscript}); the last turn must be the assistant's and is the answer, the
 * turns before it are the prompt, and both transcripts must share that prompt.
 */
final class HhRlhfLineParser implements LineParser {

    @Override
    public PreferenceEvent parse(JsonNode line, PreferenceEvent.Builder base) {
        List<ChatMessage> chosen = turns(JsonFields.text(line, "chosen"), "chosen");
        List<ChatMessage> rejected = turns(JsonFields.text(line, "rejected"), "rejected");
        List<ChatMessage> prompt = chosen.subList(0, chosen.size() - 1);
        if (!ContentHash.promptId(prompt).equals(ContentHash.promptId(rejected.subList(0, rejected.size() - 1)))) {
            throw new LineRejectedException(LineRejectedException.PROMPT_MISMATCH, "chosen and rejected transcripts have different conversations before the last answer");
        }
        return Comparisons.of(base, "hh-rlhf", prompt, chosen.get(chosen.size() - 1).getContent(), rejected.get(rejected.size() - 1).getContent());
    }

    /** The transcript's turns; the last must be an assistant answer after at least one prompt turn. */
    static List<ChatMessage> turns(String transcript, String field) {
        List<ChatMessage> turns = HhTranscript.turns(transcript, field);
        if (!"assistant".equals(turns.get(turns.size() - 1).getRole()) || turns.size() < 2) {
            throw new LineRejectedException(LineRejectedException.NO_FINAL_ANSWER, field + " does not end with an Assistant turn after a prompt");
        }
        return turns;
    }
}
