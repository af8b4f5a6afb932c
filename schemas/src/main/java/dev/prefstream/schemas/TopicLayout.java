package dev.prefstream.schemas;

import java.util.List;
import java.util.Map;

/**
 * The one place that names prefstream's topics and how they are configured. Everything that creates or
 * reads a topic (the embedded broker, the services, the tests) takes the names from here.
 */
public final class TopicLayout {

    /** Raw feedback events from production chat (the raw replay log: retained forever). */
    public static final String PREFERENCE_EVENTS = "preference-events";
    /** Binarized, deduplicated pairs: the trainer's input and the pair replay log (retained forever). */
    public static final String PREFERENCE_PAIRS = "preference-pairs";
    /** Events ingest could not use, with the original bytes and a reason in headers. */
    public static final String PREFERENCE_EVENTS_DLQ = "preference-events-dlq";
    /** Pair records the trainer could not use (undecodable, tombstone, untrainable), original bytes + reason headers. */
    public static final String PREFERENCE_PAIRS_DLQ = "preference-pairs-dlq";
    /** Compacted: latest ModelCheckpoint per key (model name, and model name + version). */
    public static final String MODEL_REGISTRY = "model-registry";
    /**
     * CANDIDATE ModelCheckpoint records from trainers that hand publishing to a separate {@code prefstream publish}
     * service (delete policy, 7 days).
     */
    public static final String MODEL_CANDIDATES = "model-candidates";
    /** Compacted: the embedded schema registry's storage. */
    public static final String SCHEMAS = "_schemas";

    /** One topic's shape. */
    public record TopicSpec(String name, int partitions, Map<String, String> configs) {
        public TopicSpec {
            if (partitions < 1) {
                throw new IllegalArgumentException("partitions must be >= 1 for " + name);
            }
            configs = Map.copyOf(configs);
        }
    }

    private static final Map<String, String> FOREVER = Map.of("cleanup.policy", "delete", "retention.ms", "-1", "retention.bytes", "-1");
    private static final Map<String, String> COMPACTED = Map.of("cleanup.policy", "compact");

    private TopicLayout() {
    }

    /**
     * The topics prefstream needs, with a partition count for the data topics (the embedded default uses 3,
     * enough to exercise partitioning on one broker).
     */
    public static List<TopicSpec> topics(int dataPartitions) {
        return List.of(
                new TopicSpec(PREFERENCE_EVENTS, dataPartitions, FOREVER),
                new TopicSpec(PREFERENCE_PAIRS, dataPartitions, FOREVER),
                new TopicSpec(PREFERENCE_EVENTS_DLQ, 1, Map.of("cleanup.policy", "delete", "retention.ms", String.valueOf(30L * 24 * 3600 * 1000))),
                new TopicSpec(PREFERENCE_PAIRS_DLQ, 1, Map.of("cleanup.policy", "delete", "retention.ms", String.valueOf(30L * 24 * 3600 * 1000))),
                new TopicSpec(MODEL_REGISTRY, 1, COMPACTED),
                new TopicSpec(MODEL_CANDIDATES, 1, Map.of("cleanup.policy", "delete", "retention.ms", String.valueOf(7L * 24 * 3600 * 1000))),
                new TopicSpec(SCHEMAS, 1, COMPACTED));
    }

    /** Default partition count of the data topics on the embedded broker. */
    public static final int DEFAULT_DATA_PARTITIONS = 3;
}
