package dev.prefstream.ingest.importer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.Response;

import java.util.List;

/**
 * lmsys/chatbot_arena_conversations (and the same shape in lmsys/mt_bench_human_judgments): {@code {"question_id",
 * "model_a", "model_b", "winner", "judge", "conversation_a": [{"role", "content"}...], "conversation_b": [...],
 * "turn", "language", "tstamp", "anony", ...}}. A comparison of the two conversations' final assistant answers
 * ("a" and "b", the model names as their model versions) after the prompt, which is the conversation before them.
 * <p>
 * Both conversations must end with an assistant answer ({@value #NO_FINAL_ANSWER}) and have the same user turns
 * ({@value #PROMPT_MISMATCH}). In a multi-turn conversation the earlier assistant turns are each model's own, so the
 * final answers usually answer different conversations: such a line is rejected ({@value #DIVERGING_HISTORY}) rather
 * than given one side's history as the shared prompt; only multi-turn lines whose earlier turns are all identical
 * are kept. {@code winner} model_a/model_b is outcome A/B; {@code tie} and {@code tie (bothbad)} are TIE comparisons,
 * which ingest counts as ties and makes no pair of (the import summary counts them); other winners are rejected
 * ({@value #UNKNOWN_WINNER}). The voter ({@code judge}, an anonymous arena user id) is the annotator; question id,
 * winner, judge, turn, language, tstamp and anony are kept in metadata ({@code arena.*}).
 */
final class ChatbotArenaLineParser implements LineParser {

    static final String ANNOTATOR = "chatbot-arena";
    static final String NO_FINAL_ANSWER = LineRejectedException.NO_FINAL_ANSWER;
    static final String PROMPT_MISMATCH = LineRejectedException.PROMPT_MISMATCH;
    static final String DIVERGING_HISTORY = "diverging_history";
    static final String UNKNOWN_WINNER = "unknown_winner";

    @Override
    public PreferenceEvent parse(JsonNode line, PreferenceEvent.Builder base) {
        List<ChatMessage> a = conversation(line, "conversation_a");
        List<ChatMessage> b = conversation(line, "conversation_b");
        List<ChatMessage> prompt = a.subList(0, a.size() - 1);
        List<ChatMessage> promptB = b.subList(0, b.size() - 1);
        if (!same(userTurns(prompt), userTurns(promptB))) {
            throw new LineRejectedException(PROMPT_MISMATCH, "conversation_a and conversation_b have different user turns before the final answers");
        }
        if (!same(prompt, promptB)) {
            throw new LineRejectedException(DIVERGING_HISTORY, "the models' earlier answers differ, so their final answers reply to different conversations");
        }
        ComparisonOutcome outcome = outcome(JsonFields.text(line, "winner"));
        JsonFields.copyToMetadata(line, base.getMetadata(), "arena", "question_id", "winner", "judge", "turn", "language", "tstamp", "anony");
        String judge = JsonFields.optionalText(line, "judge");
        return Comparisons.between(base, FeedbackSource.HUMAN, judge == null ? ANNOTATOR : judge, prompt,
                new Response("a", a.get(a.size() - 1).getContent(), JsonFields.optionalText(line, "model_a")),
                new Response("b", b.get(b.size() - 1).getContent(), JsonFields.optionalText(line, "model_b")),
                outcome, null);
    }

    private static List<ChatMessage> conversation(JsonNode line, String field) {
        List<ChatMessage> messages = JsonFields.messages(JsonFields.required(line, field), field);
        if (messages.size() < 2 || !"assistant".equals(messages.get(messages.size() - 1).getRole())) {
            throw new LineRejectedException(NO_FINAL_ANSWER, field + " does not end with an assistant answer after a prompt");
        }
        return messages;
    }

    private static List<ChatMessage> userTurns(List<ChatMessage> messages) {
        return messages.stream().filter(m -> !"assistant".equals(m.getRole())).toList();
    }

    private static boolean same(List<ChatMessage> x, List<ChatMessage> y) {
        if (x.size() != y.size()) {
            return false;
        }
        for (int i = 0; i < x.size(); i++) {
            if (!JsonFields.sameMessage(x.get(i), y.get(i))) {
                return false;
            }
        }
        return true;
    }

    private static ComparisonOutcome outcome(String winner) {
        return switch (winner.trim()) {
            case "model_a" -> ComparisonOutcome.A;
            case "model_b" -> ComparisonOutcome.B;
            case "tie", "tie (bothbad)" -> ComparisonOutcome.TIE;
            default -> throw new LineRejectedException(UNKNOWN_WINNER, "winner is '" + winner + "', expected model_a, model_b, tie or tie (bothbad)");
        };
    }
}
