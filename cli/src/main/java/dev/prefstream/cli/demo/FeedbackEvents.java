package dev.prefstream.cli.demo;

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
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Builds the simulator's {@link PreferenceEvent}s, one kind of judgement each, as production would send them.
 * Every event carries the conversation's prompt and the responses its judgement names.
 */
final class FeedbackEvents {

    /** Ratings are on the 0..10 scale (10 x the judge's reward). */
    static final double SCALE_MAX = 10.0;

    private FeedbackEvents() {
    }

    /** One sampled answer with its judge reward. */
    record Answer(String responseId, String text, double reward) {
    }

    /** The AI judge's rating of every answer. */
    static PreferenceEvent rating(String eventId, Instant at, Conversation c) {
        List<ResponseScore> scores = new ArrayList<>();
        for (Answer a : c.answers()) {
            scores.add(new ResponseScore(a.responseId(), Math.round(a.reward() * SCALE_MAX * 1000) / 1000.0, Map.of()));
        }
        return base(eventId, at, FeedbackSource.AI_JUDGE, LetterCountJudge.NAME, c, c.answers())
                .setJudgement(new Rating(0.0, SCALE_MAX, scores)).build();
    }

    /** A human's thumbs on one answer. */
    static PreferenceEvent thumbs(String eventId, Instant at, String user, Conversation c, Answer a, boolean up) {
        return base(eventId, at, FeedbackSource.HUMAN, user, c, List.of(a))
                .setJudgement(new Feedback(a.responseId(), up ? Thumb.UP : Thumb.DOWN)).build();
    }

    /** A human's A/B choice between two answers. */
    static PreferenceEvent comparison(String eventId, Instant at, String user, Conversation c, Answer a, Answer b,
                                      ComparisonOutcome outcome) {
        return base(eventId, at, FeedbackSource.HUMAN, user, c, List.of(a, b))
                .setJudgement(new Comparison(a.responseId(), b.responseId(), outcome, null)).build();
    }

    /** A human's ranking of all answers by perceived quality, equal perceptions tied in one tier. */
    static PreferenceEvent ranking(String eventId, Instant at, String user, Conversation c, double[] perceived) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < c.answers().size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingDouble((Integer i) -> -perceived[i]));
        List<List<String>> tiers = new ArrayList<>();
        double last = Double.NaN;
        for (int i : order) {
            if (tiers.isEmpty() || perceived[i] != last) {
                tiers.add(new ArrayList<>());
                last = perceived[i];
            }
            tiers.get(tiers.size() - 1).add(c.answers().get(i).responseId());
        }
        return base(eventId, at, FeedbackSource.HUMAN, user, c, c.answers()).setJudgement(new Ranking(tiers)).build();
    }

    private static PreferenceEvent.Builder base(String eventId, Instant at, FeedbackSource source, String annotator,
                                                Conversation c, List<Answer> answers) {
        List<Response> responses = new ArrayList<>();
        for (Answer a : answers) {
            responses.add(new Response(a.responseId(), a.text(), c.modelVersion()));
        }
        return PreferenceEvent.newBuilder()
                .setEventId(eventId)
                .setOccurredAt(at)
                .setSource(source)
                .setAnnotatorId(annotator)
                .setConversationId(c.id())
                .setPrompt(c.prompt().chatMessages())
                .setResponses(responses)
                .setWeight(null)
                .setConfidence(null)
                .setTenant(null)
                .setMetadata(Map.of("simulator", "prefstream-demo"));
    }

    /** One simulated conversation: a prompt, the distinct non-empty answers sampled for it, the serving version. */
    record Conversation(String id, TaskPrompt prompt, String modelVersion, List<Answer> answers) {
    }
}
