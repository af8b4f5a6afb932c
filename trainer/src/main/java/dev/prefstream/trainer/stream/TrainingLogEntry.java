package dev.prefstream.trainer.stream;

import java.util.Objects;

/**
 * One line of a checkpoint's per-pair training log: this pair, read at these coordinates, was trained in this step.
 *
 * @param pairId    the pair's content id
 * @param topic     input topic
 * @param partition input partition
 * @param offset    offset within the partition
 * @param step      the optimizer step (1-based, counted from the initial model) that trained it
 */
public record TrainingLogEntry(String pairId, String topic, int partition, long offset, long step) {

    public TrainingLogEntry {
        Objects.requireNonNull(pairId, "pairId");
        Objects.requireNonNull(topic, "topic");
    }

    /** The entry for a pair trained in {@code step}. */
    public static TrainingLogEntry of(PairRecord r, long step) {
        return new TrainingLogEntry(r.pairId(), r.topic(), r.partition(), r.offset(), step);
    }
}
