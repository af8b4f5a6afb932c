package dev.prefstream.ingest.topology;

import dev.prefstream.ingest.validate.RejectReason;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts of the records the deserialization handler dead-lettered, by reason. Kafka gives exception handlers no
 * metrics registry (their error context carries none), so the handler counts here, and the validate processor,
 * which does have the Streams metrics, publishes these counts as {@code dlq-total{reason=...}}. One tally is
 * created per Streams instance by {@link IngestTopology#streamsProperties} and travels to both in the Streams
 * config under {@link #CONFIG_KEY} (Kafka hands non-string config values through unchanged).
 */
public final class DeserializationFailureTally {

    public static final String CONFIG_KEY = "prefstream.ingest.deserialization-failure-tally";

    /** The reasons the deserialization handler (and the production handler: unproducible) use. */
    public static final List<RejectReason> REASONS = List.of(RejectReason.NOT_WIRE_FORMAT, RejectReason.UNKNOWN_SCHEMA_ID, RejectReason.UNDESERIALIZABLE,
            RejectReason.UNPRODUCIBLE);

    private final LongAdder undeliverable = new LongAdder();

    private final Map<RejectReason, LongAdder> counts = new EnumMap<>(RejectReason.class);

    public DeserializationFailureTally() {
        for (RejectReason r : REASONS) {
            counts.put(r, new LongAdder());
        }
    }

    void increment(RejectReason reason) {
        counts.get(reason).increment();
    }

    /** A dead letter the broker would not take (the production handler failed the task instead of skipping it). */
    void undeliverable() {
        undeliverable.increment();
    }

    /** How many dead letters could not be written; published as {@code dlq-undeliverable-total}. */
    public long undeliverableCount() {
        return undeliverable.sum();
    }

    public long count(RejectReason reason) {
        LongAdder adder = counts.get(reason);
        return adder == null ? 0 : adder.sum();
    }

    /** The tally in a Streams config, or a private one when the config has none (then it is counted but not published). */
    static DeserializationFailureTally from(Map<String, ?> configs) {
        return configs.get(CONFIG_KEY) instanceof DeserializationFailureTally t ? t : new DeserializationFailureTally();
    }

    /** The config without the tally entry (for parsing the rest as an IngestConfig). */
    static Map<String, ?> withoutTally(Map<String, ?> configs) {
        Map<String, Object> copy = new HashMap<>(configs);
        copy.remove(CONFIG_KEY);
        return copy;
    }
}
