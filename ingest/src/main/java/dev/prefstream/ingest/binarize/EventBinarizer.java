package dev.prefstream.ingest.binarize;

import dev.prefstream.ingest.config.IngestConfig;
import dev.prefstream.schemas.avro.Comparison;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.Ranking;
import dev.prefstream.schemas.avro.Rating;
import dev.prefstream.schemas.avro.Response;

import java.util.HashMap;
import java.util.Map;

/**
 * Binarizes the kinds that carry their whole judgement in one event (comparison, ranking, rating) with the
 * strategies of the configuration. Thumbs feedback needs state across events and is paired by
 * {@code dev.prefstream.ingest.feedback.FeedbackPairing}. The event must have passed validation.
 */
public final class EventBinarizer {

    private final ComparisonBinarizer comparisons = new ComparisonBinarizer();
    private final RankingBinarizer rankings;
    private final RatingBinarizer ratings;

    public EventBinarizer(IngestConfig config) {
        this.rankings = new RankingBinarizer(config.rankingStrategy());
        this.ratings = new RatingBinarizer(config.ratingScore(), config.ratingPairing(), config.ratingMinMargin());
    }

    public Binarization binarize(PreferenceEvent event) {
        Map<String, Response> byId = new HashMap<>();
        for (Response r : event.getResponses()) {
            byId.put(r.getResponseId(), r);
        }
        Object judgement = event.getJudgement();
        if (judgement instanceof Comparison c) {
            return comparisons.binarize(c, byId);
        } else if (judgement instanceof Ranking r) {
            return rankings.binarize(r, byId);
        } else if (judgement instanceof Rating r) {
            return ratings.binarize(event.getEventId(), r, byId);
        }
        throw new IllegalArgumentException("event " + event.getEventId() + " carries no single-event judgement: " + judgement);
    }
}
