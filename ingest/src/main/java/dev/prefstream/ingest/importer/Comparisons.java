package dev.prefstream.ingest.importer;

import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.Comparison;
import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.Rating;
import dev.prefstream.schemas.avro.Response;
import dev.prefstream.schemas.avro.ResponseScore;

import java.util.List;
import java.util.Map;

/**
 * The event of a (prompt, chosen, rejected) dataset line: a comparison with chosen as response A and outcome A, or,
 * when the line scores both answers, a rating of the two (response ids "chosen" and "rejected" either way).
 */
final class Comparisons {

    /** Reject reason of a line whose scores say the other answer is better than the labelled one. */
    static final String SCORE_CONTRADICTS_LABEL = "score_contradicts_label";

    /** Customary rating scale tops; a rating's scale is the smallest holding its scores. */
    private static final double[] SCALE_TOPS = {1, 5, 10, 100};

    private Comparisons() {
    }

    static PreferenceEvent of(PreferenceEvent.Builder base, String annotator, List<ChatMessage> prompt, String chosen, String rejected) {
        return of(base, annotator, prompt, chosen, null, rejected, null);
    }

    static PreferenceEvent of(PreferenceEvent.Builder base, String annotator, List<ChatMessage> prompt,
                              String chosen, String chosenModel, String rejected, String rejectedModel) {
        return between(base, FeedbackSource.HUMAN, annotator, prompt, new Response("chosen", chosen, chosenModel),
                new Response("rejected", rejected, rejectedModel), ComparisonOutcome.A, null);
    }

    /** A comparison of {@code a} and {@code b} (in that order, as the dataset gave them) with its outcome and strength. */
    static PreferenceEvent between(PreferenceEvent.Builder base, FeedbackSource source, String annotator, List<ChatMessage> prompt,
                                   Response a, Response b, ComparisonOutcome outcome, Double strength) {
        return base.setSource(source)
                .setAnnotatorId(annotator)
                .setPrompt(prompt)
                .setResponses(List.of(a, b))
                .setJudgement(new Comparison(a.getResponseId(), b.getResponseId(), outcome, strength))
                .build();
    }

    /**
     * A rating of chosen and rejected with their scores. The datasets do not state their scale, so it is [min(0, lowest
     * score rounded down), the smallest of 1/5/10/100 that holds the highest score, else it rounded up]: it only has
     * to hold the scores, since ingest's margin is the plain score difference.
     */
    static PreferenceEvent rated(PreferenceEvent.Builder base, String annotator, List<ChatMessage> prompt,
                                 String chosen, String chosenModel, double chosenScore,
                                 String rejected, String rejectedModel, double rejectedScore) {
        double lo = Math.min(chosenScore, rejectedScore);
        double hi = Math.max(chosenScore, rejectedScore);
        double top = Math.ceil(hi);
        for (double t : SCALE_TOPS) {
            if (hi <= t) {
                top = t;
                break;
            }
        }
        return base.setSource(FeedbackSource.HUMAN)
                .setAnnotatorId(annotator)
                .setPrompt(prompt)
                .setResponses(List.of(new Response("chosen", chosen, chosenModel), new Response("rejected", rejected, rejectedModel)))
                .setJudgement(new Rating(Math.min(0.0, Math.floor(lo)), top, List.of(
                        new ResponseScore("chosen", chosenScore, Map.of()),
                        new ResponseScore("rejected", rejectedScore, Map.of()))))
                .build();
    }
}
