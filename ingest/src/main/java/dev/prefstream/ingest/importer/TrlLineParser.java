package dev.prefstream.ingest.importer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.PreferenceEvent;

import java.util.ArrayList;
import java.util.List;

/**
 * TRL preference datasets and their common relatives:
 * <ul>
 *   <li>standard, explicit prompt: {@code {"prompt": "...", "chosen": "...", "rejected": "..."}} (the prompt is one user message)</li>
 *   <li>conversational: {@code {"prompt": [messages], "chosen": [messages], "rejected": [messages]}}</li>
 *   <li>conversational, implicit prompt: {@code {"chosen": [messages], "rejected": [messages]}}: the messages both
 *       start with are the prompt, the rest are the answers</li>
 *   <li>the prompt under {@code instruction}, {@code question} or a string/list {@code input} when there is no
 *       {@code prompt}, plus an optional {@code system} string (Intel/orca_dpo_pairs); answers under
 *       {@code chosen_response}/{@code rejected_response} (argilla/ultrafeedback-binarized-preferences)</li>
 * </ul>
 * Chosen/rejected message lists that repeat the prompt first (HuggingFaceH4/ultrafeedback_binarized, argilla's
 * *-dpo sets) have it stripped, so the prompt is not doubled: either the prompt's own messages, or, when both lists
 * share leading messages that end with the prompt's last turn, those shared messages (which then become the
 * prompt, system message included).
 * <p>
 * Scores ({@link #SCORE_FIELDS}, e.g. {@code score_chosen}/{@code score_rejected}): when both are finite numbers the
 * line is a {@code rating} event with the two scores, so ingest keeps the margin; equal scores are still a rating,
 * which ingest counts as a tie and pairs not; a chosen score below the rejected one contradicts the labels and the
 * line is rejected ({@value #SCORE_CONTRADICTS_LABEL}). Missing or non-numeric scores give a plain comparison.
 * {@code chosen_model}/{@code chosen-model} (and rejected) become the responses' model versions.
 * <p>
 * Standard data with an implicit prompt (plain strings that share a prefix) is rejected: where the prompt ends is
 * a guess ({@code --format hh-rlhf} reads the HH transcripts among them).
 */
final class TrlLineParser implements LineParser {

    static final String ANNOTATOR = "trl-import";
    static final String SCORE_CONTRADICTS_LABEL = Comparisons.SCORE_CONTRADICTS_LABEL;

    /** (chosen, rejected) score field names, first present pair wins. */
    static final List<List<String>> SCORE_FIELDS = List.of(
            List.of("score_chosen", "score_rejected"),
            List.of("chosen-rating", "rejected-rating"),
            List.of("chosen_rating", "rejected_rating"),
            List.of("chosen_avg_rating", "rejected_avg_rating"),
            List.of("chosen_score", "rejected_score"));

    private static final List<String> PROMPT_FIELDS = List.of("prompt", "instruction", "question", "input");

    @Override
    public PreferenceEvent parse(JsonNode line, PreferenceEvent.Builder base) {
        JsonNode chosen = JsonFields.required(line, line.hasNonNull("chosen") || !line.has("chosen_response") ? "chosen" : "chosen_response");
        JsonNode rejected = JsonFields.required(line, line.hasNonNull("rejected") || !line.has("rejected_response") ? "rejected" : "rejected_response");
        List<ChatMessage> prompt = prompt(line);
        Answers answers;
        if (chosen.isTextual() && rejected.isTextual()) {
            if (prompt == null) {
                throw new LineRejectedException("implicit_prompt", "standard (string) chosen/rejected without a \"prompt\": the prompt cannot be told from the answer");
            }
            answers = new Answers(prompt, chosen.asText(), rejected.asText());
        } else {
            answers = conversational(prompt, JsonFields.messages(chosen, "chosen"), JsonFields.messages(rejected, "rejected"));
        }
        String chosenModel = JsonFields.optionalText(line, "chosen_model", "chosen-model");
        String rejectedModel = JsonFields.optionalText(line, "rejected_model", "rejected-model");
        double[] scores = scores(line);
        if (scores == null) {
            return Comparisons.of(base, ANNOTATOR, answers.prompt(), answers.chosen(), chosenModel, answers.rejected(), rejectedModel);
        }
        if (scores[0] < scores[1]) {
            throw new LineRejectedException(SCORE_CONTRADICTS_LABEL, "chosen is scored " + scores[0] + ", below rejected's " + scores[1]);
        }
        return Comparisons.rated(base, ANNOTATOR, answers.prompt(), answers.chosen(), chosenModel, scores[0],
                answers.rejected(), rejectedModel, scores[1]);
    }

    private record Answers(List<ChatMessage> prompt, String chosen, String rejected) {
    }

    /** The prompt field (first of {@link #PROMPT_FIELDS} that is a string or a list), with a leading system message; null when none. */
    private static List<ChatMessage> prompt(JsonNode line) {
        for (String field : PROMPT_FIELDS) {
            JsonNode value = line.get(field);
            if (value != null && (value.isTextual() || value.isArray())) {
                List<ChatMessage> messages = JsonFields.prompt(value, field);
                JsonNode system = line.get("system");
                if (system != null && system.isTextual() && !system.asText().isBlank()
                        && (messages.isEmpty() || !"system".equals(messages.get(0).getRole()))) {
                    List<ChatMessage> withSystem = new ArrayList<>();
                    withSystem.add(new ChatMessage("system", system.asText()));
                    withSystem.addAll(messages);
                    return withSystem;
                }
                return messages;
            }
        }
        return null;
    }

    private static Answers conversational(List<ChatMessage> prompt, List<ChatMessage> chosen, List<ChatMessage> rejected) {
        int shared = 0;
        while (shared < chosen.size() - 1 && shared < rejected.size() - 1 && JsonFields.sameMessage(chosen.get(shared), rejected.get(shared))) {
            shared++;
        }
        if (prompt != null) {
            List<ChatMessage> c = JsonFields.withoutLeading(chosen, prompt);
            List<ChatMessage> r = JsonFields.withoutLeading(rejected, prompt);
            boolean stripped = c.size() < chosen.size() || r.size() < rejected.size();
            if (!stripped && shared > 0 && JsonFields.sameMessage(chosen.get(shared - 1), prompt.get(prompt.size() - 1))) {
                // the lists hold the whole conversation (e.g. a system message the prompt field lacks): it is the prompt
                return split(chosen, rejected, shared);
            }
            return new Answers(prompt, JsonFields.answer(c), JsonFields.answer(r));
        }
        if (shared == 0) {
            throw new LineRejectedException("implicit_prompt", "conversational chosen/rejected without a \"prompt\" share no leading messages");
        }
        return split(chosen, rejected, shared);
    }

    private static Answers split(List<ChatMessage> chosen, List<ChatMessage> rejected, int shared) {
        return new Answers(chosen.subList(0, shared), JsonFields.answer(chosen.subList(shared, chosen.size())),
                JsonFields.answer(rejected.subList(shared, rejected.size())));
    }

    /** {chosen, rejected} from the first score field pair present, or null when absent or not both finite numbers. */
    private static double[] scores(JsonNode line) {
        for (List<String> fields : SCORE_FIELDS) {
            if (line.has(fields.get(0)) && line.has(fields.get(1))) {
                Double chosen = JsonFields.number(line.get(fields.get(0)));
                Double rejected = JsonFields.number(line.get(fields.get(1)));
                return chosen == null || rejected == null ? null : new double[]{chosen, rejected};
            }
        }
        return null;
    }
}
