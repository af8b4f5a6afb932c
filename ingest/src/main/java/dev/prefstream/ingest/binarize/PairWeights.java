package dev.prefstream.ingest.binarize;

import dev.prefstream.ingest.config.IngestConfig;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.PreferenceEvent;

/**
 * The training weight an event gives its pairs: its {@code weight} (default 1) times its annotator
 * {@code confidence} (default 1) times {@code ingest.ai-judge.weight} when an AI judged it.
 */
public final class PairWeights {

    private final double aiJudgeWeight;

    public PairWeights(IngestConfig config) {
        this.aiJudgeWeight = config.aiJudgeWeight();
    }

    public double of(PreferenceEvent event) {
        double weight = event.getWeight() == null ? 1.0 : event.getWeight();
        if (event.getConfidence() != null) {
            weight *= event.getConfidence();
        }
        if (event.getSource() == FeedbackSource.AI_JUDGE) {
            weight *= aiJudgeWeight;
        }
        return weight;
    }
}
