package dev.prefstream.trainer.stream;

import dev.prefstream.schemas.avro.PreferencePair;
import org.apache.kafka.common.TopicPartition;

import java.util.Comparator;
import java.util.Objects;

/**
 * One preference pair as read from the log, with its coordinates (which the per-pair training log records).
 *
 * @param topic     input topic
 * @param partition input partition
 * @param offset    offset within the partition
 * @param timestamp record timestamp (ms), the key of the deterministic cross-partition merge
 * @param pair      the pair
 */
public record PairRecord(String topic, int partition, long offset, long timestamp, PreferencePair pair) {

    /**
     * Merge order across partitions: timestamp, then partition, then offset. Within a partition it agrees with
     * offset order as long as timestamps do not go backwards; the batcher never reorders within a partition anyway.
     */
    public static final Comparator<PairRecord> MERGE_ORDER = Comparator.comparingLong(PairRecord::timestamp)
            .thenComparing(PairRecord::topic).thenComparingInt(PairRecord::partition).thenComparingLong(PairRecord::offset);

    public PairRecord {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(pair, "pair");
    }

    /** The record's topic-partition. */
    public TopicPartition topicPartition() {
        return new TopicPartition(topic, partition);
    }

    /** Shorthand for the pair's id. */
    public String pairId() {
        return pair.getPairId();
    }
}
