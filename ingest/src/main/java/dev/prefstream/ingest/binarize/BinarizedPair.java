package dev.prefstream.ingest.binarize;

import dev.prefstream.ingest.canonical.ContentHash;
import dev.prefstream.schemas.avro.PreferencePair;

/**
 * A pair as binarize hands it to dedup (in the same task, never serialized): the pair and the normalized texts its
 * id was computed from, so that dedup computes the id of the opposite judgement without normalizing both texts
 * again (normalization scans every char; that was ~1.5% of the stream thread).
 *
 * @param pair               the pair, with its pair_id
 * @param normalizedChosen   {@code TextNormalizer.normalize(pair.chosen)}
 * @param normalizedRejected {@code TextNormalizer.normalize(pair.rejected)}
 */
public record BinarizedPair(PreferencePair pair, String normalizedChosen, String normalizedRejected) {

    /** The pair_id of the same prompt and responses with chosen and rejected swapped. */
    public String reversePairId() {
        return ContentHash.pairIdOfNormalized(pair.getPromptId(), normalizedRejected, normalizedChosen);
    }
}
