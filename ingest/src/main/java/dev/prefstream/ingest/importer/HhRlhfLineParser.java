package dev.prefstream.ingest.importer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prefstream.ingest.canonical.ContentHash;
import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.PreferenceEvent;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Anthropic HH-RLHF: {@code {"chosen": "\n\nHuman: ...\n\nAssistant: ...", "rejected": "..."}}. Each transcript is
 * split at its turn markers; the last turn must be the assistant's and is the answer, the turns before it are the
 * prompt (Human -> user, Assistant -> assistant), and both transcripts must share that prompt.
 */
final class HhRlhfLineParser implements LineParser {

    private static final Pattern TURN = Pattern.compile("(?:^|\\n\\n)(Human|Assistant):[ ]?");

    @Override
    public PreferenceEvent parse(JsonNode line, PreferenceEvent.Builder base) {
        List<ChatMessage> chosen = turns(JsonFields.text(line, "chosen"), "chosen");
        List<ChatMessage> rejected = turns(JsonFields.text(line, "rejected"), "rejected");
        List<ChatMessage> prompt = chosen.subList(0, chosen.size() - 1);
        if (!ContentHash.promptId(prompt).equals(ContentHash.promptId(rejected.subList(0, rejected.size() - 1)))) {
            throw new LineRejectedException("prompt_mismatch", "chosen and rejected transcripts have different conversations before the last answer");
        }
        return Comparisons.of(base, "hh-rlhf", prompt, chosen.get(chosen.size() - 1).getContent(), rejected.get(rejected.size() - 1).getContent());
    }

    static List<ChatMessage> turns(String transcript, String field) {
        Matcher m = TURN.matcher(transcript);
        List<ChatMessage> turns = new ArrayList<>();
        String role = null;
        int contentStart = 0;
        while (m.find()) {
            if (role != null) {
                turns.add(new ChatMessage(role, transcript.substring(contentStart, m.start())));
            } else if (!transcript.substring(0, m.start()).isBlank()) {
                throw new LineRejectedException("not_a_transcript", field + " has text before its first Human:/Assistant: marker");
            }
            role = m.group(1).equals("Human") ? "user" : "assistant";
            contentStart = m.end();
        }
        if (role == null) {
            throw new LineRejectedException("not_a_transcript", field + " has no \\n\\nHuman:/\\n\\nAssistant: turns");
        }
        turns.add(new ChatMessage(role, transcript.substring(contentStart)));
        if (!"assistant".equals(turns.get(turns.size() - 1).getRole()) || turns.size() < 2) {
            throw new LineRejectedException("no_final_answer", field + " does not end with an Assistant turn after a prompt");
        }
        return turns;
    }
}
