package dev.prefstream.ingest.importer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.Ranking;
import dev.prefstream.schemas.avro.Response;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * berkeley-nest/Nectar: {@code {"prompt": "\n\nHuman: ...\n\nAssistant:", "answers": [{"answer", "model", "rank"},
 * ...], "turns", "num_responses", "source": [...], "good_natured"}}. One ranking event per line: the prompt
 * transcript's turns ({@link HhTranscript}) without the open "Assistant:" it ends with, each answer a response
 * ("a" + its position in the list, its model as model version), tiers by rank ascending (rank 1 best; equal ranks
 * share a tier and never pair; all equal is a one-tier ranking, which the summary counts as a tie). The ranks are
 * GPT-4's, so the source is AI_JUDGE with annotator {@value #ANNOTATOR}.
 * <p>
 * A prompt that ends with a written assistant answer is not a prompt ({@value #PROMPT_ENDS_WITH_ANSWER}). An answer
 * without text or without a numeric rank is left out and counted in {@code nectar.answers_left_out}; fewer than two
 * usable answers reject the line ({@value #TOO_FEW_RANKED_ANSWERS}). turns, num_responses, source and good_natured are
 * kept in metadata ({@code nectar.*}).
 */
final class NectarLineParser implements LineParser {

    static final String ANNOTATOR = "nectar-gpt-4";
    static final String PROMPT_ENDS_WITH_ANSWER = "prompt_ends_with_answer";
    static final String TOO_FEW_RANKED_ANSWERS = "too_few_ranked_answers";

    @Override
    public PreferenceEvent parse(JsonNode line, PreferenceEvent.Builder base) {
        List<ChatMessage> prompt = prompt(JsonFields.text(line, "prompt"));
        JsonNode answers = JsonFields.required(line, "answers");
        if (!answers.isArray()) {
            throw new LineRejectedException(JsonFields.WRONG_TYPE, "\"answers\" is not a list");
        }
        List<Response> responses = new ArrayList<>();
        Map<Double, List<String>> byRank = new TreeMap<>();
        int index = 0;
        int leftOut = 0;
        for (JsonNode answer : answers) {
            String id = "a" + index++;
            JsonNode text = answer.get("answer");
            Double rank = JsonFields.number(answer.get("rank"));
            if (text == null || !text.isTextual() || text.asText().isBlank() || rank == null) {
                leftOut++;
                continue;
            }
            responses.add(new Response(id, text.asText(), JsonFields.optionalText(answer, "model")));
            byRank.computeIfAbsent(rank, r -> new ArrayList<>()).add(id);
        }
        if (responses.size() < 2) {
            throw new LineRejectedException(TOO_FEW_RANKED_ANSWERS, responses.size() + " answer(s) with text and a numeric rank, need 2");
        }
        Map<String, String> metadata = base.getMetadata();
        JsonFields.copyToMetadata(line, metadata, "nectar", "turns", "num_responses", "source", "good_natured");
        if (leftOut > 0) {
            metadata.put("nectar.answers_left_out", String.valueOf(leftOut));
        }
        return base.setSource(FeedbackSource.AI_JUDGE)
                .setAnnotatorId(ANNOTATOR)
                .setPrompt(prompt)
                .setResponses(responses)
                .setJudgement(new Ranking(new ArrayList<>(byRank.values())))
                .build();
    }

    /** The transcript's turns without the open final "Assistant:" (a prompt ending with a user turn is taken whole). */
    private static List<ChatMessage> prompt(String transcript) {
        List<ChatMessage> turns = HhTranscript.turns(transcript, "prompt");
        ChatMessage last = turns.get(turns.size() - 1);
        if ("assistant".equals(last.getRole())) {
            if (!last.getContent().isBlank()) {
                throw new LineRejectedException(PROMPT_ENDS_WITH_ANSWER, "prompt ends with an assistant answer, not an open \"Assistant:\" turn");
            }
            turns = turns.subList(0, turns.size() - 1);
        }
        if (turns.isEmpty()) {
            throw new LineRejectedException(HhTranscript.NOT_A_TRANSCRIPT, "prompt has no turn before its \"Assistant:\"");
        }
        return turns;
    }
}
