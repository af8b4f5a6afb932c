package dev.prefstream.ingest.importer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.Rating;
import dev.prefstream.schemas.avro.Response;
import dev.prefstream.schemas.avro.ResponseScore;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * UltraFeedback (openbmb/UltraFeedback): {@code {"instruction": "...", "completions": [{"model": ..., "response":
 * ..., "annotations": {"helpfulness": {"Rating": "4", ...}, "honesty": {...}, ...}}, ...]}}. One rating event on the
 * scale [1,5] per line: each completion a response (its model as model_version), each annotated aspect an aspect
 * score. Ratings that are not numbers ("N/A") are left out; a completion with no numeric rating is left out. The
 * ratings are GPT-4's, so the event's source is AI_JUDGE.
 */
final class UltraFeedbackLineParser implements LineParser {

    @Override
    public PreferenceEvent parse(JsonNode line, PreferenceEvent.Builder base) {
        String instruction = JsonFields.text(line, "instruction");
        JsonNode completions = JsonFields.required(line, "completions");
        if (!completions.isArray()) {
            throw new LineRejectedException(JsonFields.WRONG_TYPE, "\"completions\" is not a list");
        }
        List<Response> responses = new ArrayList<>();
        List<ResponseScore> scores = new ArrayList<>();
        int index = 0;
        for (JsonNode completion : completions) {
            String id = "c" + index++;
            Map<String, Double> aspects = new TreeMap<>();
            JsonNode annotations = completion.get("annotations");
            if (annotations != null && annotations.isObject()) {
                Iterator<Map.Entry<String, JsonNode>> it = annotations.fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> aspect = it.next();
                    Double rating = rating(aspect.getValue());
                    if (rating != null) {
                        aspects.put(aspect.getKey(), rating);
                    }
                }
            }
            if (aspects.isEmpty() || !completion.hasNonNull("response")) {
                continue;
            }
            JsonNode model = completion.get("model");
            responses.add(new Response(id, completion.get("response").asText(), model == null || model.isNull() ? null : model.asText()));
            scores.add(new ResponseScore(id, null, aspects));
        }
        if (responses.size() < 2) {
            throw new LineRejectedException("too_few_rated_completions", responses.size() + " completion(s) with a numeric rating, need 2");
        }
        return base.setSource(FeedbackSource.AI_JUDGE)
                .setAnnotatorId("ultrafeedback-gpt-4")
                .setPrompt(List.of(new ChatMessage("user", instruction)))
                .setResponses(responses)
                .setJudgement(new Rating(1.0, 5.0, scores))
                .build();
    }

    /** An aspect's rating ({"Rating": "4"} or a bare value); null when not a finite number ("N/A"). */
    private static Double rating(JsonNode annotation) {
        return JsonFields.number(annotation.isObject() ? annotation.get("Rating") : annotation);
    }
}
