package dev.prefstream.trainer.stream;

import dev.prefstream.checkpoint.format.VerifiedCheckpoint;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

/**
 * Where the pairs consumer starts in each partition. The live trainer starts at the resumed checkpoint's manifest
 * offsets (the source of truth for exactly-once), falling back to the beginning or the end of partitions the
 * manifest does not list; replay starts at a timestamp or at explicit offsets instead.
 */
@FunctionalInterface
public interface StartPositions {

    /** Next offset to read per partition. */
    Map<TopicPartition, Long> resolve(Consumer<?, ?> consumer, List<TopicPartition> partitions, Optional<VerifiedCheckpoint> resumed);

    /** The manifest's offsets; unlisted partitions from the beginning (or end when {@code fromEarliest} is false). */
    static StartPositions fromCheckpoint(boolean fromEarliest) {
        return (consumer, partitions, resumed) -> {
            Map<TopicPartition, Long> fallback = fromEarliest
                    ? consumer.beginningOffsets(partitions, Duration.ofSeconds(30))
                    : consumer.endOffsets(partitions, Duration.ofSeconds(30));
            Map<TopicPartition, Long> out = new HashMap<>(fallback);
            resumed.ifPresent(cp -> {
                for (TopicPartition tp : partitions) {
                    SortedMap<Integer, Long> offs = cp.manifest().offsetsOf(tp.topic());
                    Long o = offs.get(tp.partition());
                    if (o != null) {
                        out.put(tp, o);
                    }
                }
            });
            return out;
        };
    }

    /** The first offset at or after {@code timestampMs} per partition (the end where there is none): replay --from-timestamp. */
    static StartPositions fromTimestamp(long timestampMs) {
        return (consumer, partitions, resumed) -> {
            Map<TopicPartition, Long> query = new HashMap<>();
            partitions.forEach(tp -> query.put(tp, timestampMs));
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, Duration.ofSeconds(30));
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            Map<TopicPartition, Long> out = new HashMap<>();
            for (TopicPartition tp : partitions) {
                OffsetAndTimestamp ot = found.get(tp);
                out.put(tp, ot != null ? ot.offset() : end.get(tp));
            }
            return out;
        };
    }

    /** Explicit offsets (replay --from-offsets); unlisted partitions from the beginning. */
    static StartPositions explicit(Map<TopicPartition, Long> offsets) {
        Map<TopicPartition, Long> copy = Map.copyOf(offsets);
        return (consumer, partitions, resumed) -> {
            Map<TopicPartition, Long> out = new HashMap<>(consumer.beginningOffsets(partitions, Duration.ofSeconds(30)));
            copy.forEach((tp, o) -> {
                if (out.containsKey(tp)) {
                    out.put(tp, o);
                }
            });
            return out;
        };
    }
}
