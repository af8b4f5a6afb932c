package dev.prefstream.checkpoint.format;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Objects;

/**
 * The next offset to consume of one input topic-partition: everything below it has been trained into the
 * checkpoint that records it, nothing at or above it has.
 */
public record PartitionOffset(
        @JsonProperty("topic") String topic,
        @JsonProperty("partition") int partition,
        @JsonProperty("next_offset") long nextOffset) implements Comparable<PartitionOffset> {

    public PartitionOffset {
        Objects.requireNonNull(topic, "topic");
        if (partition < 0) {
            throw new IllegalArgumentException("partition must be >= 0, got " + partition);
        }
        if (nextOffset < 0) {
            throw new IllegalArgumentException("next_offset must be >= 0, got " + nextOffset + " for " + topic + "-" + partition);
        }
    }

    @Override
    public int compareTo(PartitionOffset o) {
        int c = topic.compareTo(o.topic);
        return c != 0 ? c : Integer.compare(partition, o.partition);
    }
}
