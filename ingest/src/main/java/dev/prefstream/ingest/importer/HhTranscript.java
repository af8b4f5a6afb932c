package dev.prefstream.ingest.importer;

import dev.prefstream.schemas.avro.ChatMessage;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Anthropic's transcript text "\n\nHuman: ...\n\nAssistant: ..." as chat turns (Human -> user, Assistant ->
 * assistant). HH-RLHF's chosen/rejected and Nectar's prompt are written this way.
 */
final class HhTranscript {

    static final String NOT_A_TRANSCRIPT = "not_a_transcript";

    private static final Pattern TURN = Pattern.compile("(?:^|\\n\\n)(Human|Assistant):[ ]?");

    private HhTranscript() {
    }

    /** Every turn, in order; the last may be empty (a transcript ending in "Assistant:" awaits the answer). */
    static List<ChatMessage> turns(String transcript, String field) {
        Matcher m = TURN.matcher(transcript);
        List<ChatMessage> turns = new ArrayList<>();
        String role = null;
        int contentStart = 0;
        while (m.find()) {
            if (role != null) {
                turns.add(new ChatMessage(role, transcript.substring(contentStart, m.start())));
            } else if (!transcript.substring(0, m.start()).isBlank()) {
                throw new LineRejectedException(NOT_A_TRANSCRIPT, field + " has text before its first Human:/Assistant: marker");
            }
            role = m.group(1).equals("Human") ? "user" : "assistant";
            contentStart = m.end();
        }
        if (role == null) {
            throw new LineRejectedException(NOT_A_TRANSCRIPT, field + " has no \\n\\nHuman:/\\n\\nAssistant: turns");
        }
        turns.add(new ChatMessage(role, transcript.substring(contentStart)));
        return turns;
    }
}
