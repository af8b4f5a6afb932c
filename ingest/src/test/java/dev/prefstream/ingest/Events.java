package dev.prefstream.ingest;

import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.Comparison;
import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.Feedback;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.Ranking;
import dev.prefstream.schemas.avro.Rating;
import dev.prefstream.schemas.avro.Response;
import dev.prefstream.schemas.avro.ResponseScore;
import dev.prefstream.schemas.avro.Thumb;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Builders of test events. Responses are named r0, r1, ... in the order their texts are given. */
public final class Events {

    public static final Instant T0 = Instant.parse("2026-11-01T12:00:00Z");

    static {
        // builders touch Avro's class validator before any serde does
        dev.prefstream.schemas.serde.AvroTrust.ensureTrusted();
    }

    private Events() {
    }

    public static List<ChatMessage> prompt(String userText) {
        return List.of(ChatMessage.newBuilder().setRole("user").setContent(userText).build());
    }

    public static List<Response> responses(String... texts) {
        List<Response> out = new ArrayList<>();
        for (int i = 0; i < texts.length; i++) {
            out.add(Response.newBuilder().setResponseId("r" + i).setText(texts[i]).setModelVersion("v" + i).build());
        }
        return out;
    }

    public static PreferenceEvent.Builder base(String eventId, String prompt, Instant at, String... texts) {
        return PreferenceEvent.newBuilder()
                .setEventId(eventId)
                .setOccurredAt(at)
                .setSource(FeedbackSource.HUMAN)
                .setAnnotatorId("annotator-1")
                .setConversationId("conv-" + eventId)
                .setPrompt(prompt(prompt))
                .setResponses(responses(texts));
    }

    public static PreferenceEvent comparison(String eventId, String prompt, String a, String b, ComparisonOutcome outcome) {
        return base(eventId, prompt, T0, a, b)
                .setJudgement(Comparison.newBuilder().setResponseA("r0").setResponseB("r1").setOutcome(outcome).build())
                .build();
    }

    /** A ranking over responses r0..rn with tiers of indices, best first. */
    public static PreferenceEvent ranking(String eventId, String prompt, List<List<Integer>> tiers, String... texts) {
        List<List<String>> ids = new ArrayList<>();
        for (List<Integer> tier : tiers) {
            ids.add(tier.stream().map(i -> "r" + i).toList());
        }
        return base(eventId, prompt, T0, texts).setJudgement(Ranking.newBuilder().setTiers(ids).build()).build();
    }

    /** A rating on [1,5] with one overall score per response. */
    public static PreferenceEvent rating(String eventId, String prompt, double[] scores, String... texts) {
        List<ResponseScore> list = new ArrayList<>();
        for (int i = 0; i < scores.length; i++) {
            list.add(ResponseScore.newBuilder().setResponseId("r" + i).setScore(scores[i]).setAspects(Map.of()).build());
        }
        return base(eventId, prompt, T0, texts)
                .setJudgement(Rating.newBuilder().setScaleMin(1).setScaleMax(5).setScores(list).build())
                .build();
    }

    /** A rating on [1,5] with per-aspect scores only. */
    public static PreferenceEvent aspectRating(String eventId, String prompt, List<Map<String, Double>> aspects, String... texts) {
        List<ResponseScore> list = new ArrayList<>();
        for (int i = 0; i < aspects.size(); i++) {
            list.add(ResponseScore.newBuilder().setResponseId("r" + i).setScore(null).setAspects(aspects.get(i)).build());
        }
        return base(eventId, prompt, T0, texts)
                .setJudgement(Rating.newBuilder().setScaleMin(1).setScaleMax(5).setScores(list).build())
                .build();
    }

    /** A thumbs vote by {@code annotator} on one response (id {@code responseId}, text {@code text}). */
    public static PreferenceEvent thumbs(String eventId, String annotator, String prompt, String responseId, String text,
                                         Thumb thumb, Instant at) {
        return PreferenceEvent.newBuilder()
                .setEventId(eventId)
                .setOccurredAt(at)
                .setSource(FeedbackSource.HUMAN)
                .setAnnotatorId(annotator)
                .setConversationId("conv-" + eventId)
                .setPrompt(prompt(prompt))
                .setResponses(List.of(Response.newBuilder().setResponseId(responseId).setText(text).build()))
                .setJudgement(Feedback.newBuilder().setResponseId(responseId).setThumb(thumb).build())
                .build();
    }
}
