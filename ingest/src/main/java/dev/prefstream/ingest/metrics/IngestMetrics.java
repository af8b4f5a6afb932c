package dev.prefstream.ingest.metrics;

import dev.prefstream.ingest.validate.RejectReason;
import dev.prefstream.ingest.validate.RejectedRecordException;
import dev.prefstream.ingest.validate.Rejection;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.MeasurableStat;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.apache.kafka.common.metrics.stats.Rate;
import org.apache.kafka.common.metrics.stats.WindowedCount;
import org.apache.kafka.streams.StreamsMetrics;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The counters of ingest, registered as Kafka Streams custom metrics (group {@value #GROUP}), so they appear in
 * {@code KafkaStreams#metrics()}, in {@code TopologyTestDriver#metrics()} and over JMX as
 * {@code kafka.streams:type=prefstream-ingest,<tags>}, each as {@code <name>-total} and {@code <name>-rate}:
 * <ul>
 *   <li>{@code events-in} {kind}: events that deserialized and entered validation</li>
 *   <li>{@code pairs-out} {kind}: pairs written to the pairs topic</li>
 *   <li>{@code dropped} {kind, reason}: everything that did not become a pair, by reason (the dead-letter reasons,
 *       {@code tie}, {@code below_min_margin}, {@code ai_judge_filtered}, {@code duplicate}, {@code superseded_vote}, {@code replayed_vote})</li>
 *   <li>{@code duplicates}: pairs dropped by dedup; {@code conflicts}: pairs emitted against an opposite earlier label</li>
 *   <li>{@code dlq} {reason}: records written to the dead-letter topic (counted by the processor that rejects
 *       them; for records that do not deserialize, published from the deserialization handler's tally)</li>
 *   <li>{@code events-valid}, {@code events-binarized}: events sent to, and taken from, the prompt_id repartition
 *       (equal when the second stage has caught up)</li>
 *   <li>{@code feedback-votes-stored}, {@code feedback-votes-unpaired}: thumbs votes kept, and those of them that found no partner on arrival</li>
 * </ul>
 * Sensors are shared by all tasks and threads of one Streams instance (created once by name, then reused).
 * Instances of this class are per processor and not thread-safe; the sensors they record into are.
 */
public final class IngestMetrics {

    public static final String GROUP = "prefstream-ingest";

    public static final String EVENTS_IN = "events-in";
    public static final String PAIRS_OUT = "pairs-out";
    public static final String DROPPED = "dropped";
    public static final String DUPLICATES = "duplicates";
    public static final String CONFLICTS = "conflicts";
    public static final String DLQ = "dlq";
    public static final String VOTES_STORED = "feedback-votes-stored";
    public static final String VOTES_UNPAIRED = "feedback-votes-unpaired";
    /** Events that passed validation and were sent to the repartition topic. */
    public static final String EVENTS_VALID = "events-valid";
    /** Events that the binarize stage took from the repartition topic. */
    public static final String EVENTS_BINARIZED = "events-binarized";

    private final StreamsMetrics metrics;
    private final Map<SensorKey, Sensor> sensors = new HashMap<>();

    /**
     * The lookup key of a sensor this instance has registered: a name and up to two tag pairs. Looking sensors up
     * by this (field-wise equality, cached String hashes) instead of by the concatenated sensor name saves building a
     * string on every count, which happens two to four times per event.
     */
    private record SensorKey(String name, String tag0, String tag1, String tag2, String tag3) {
        static SensorKey of(String name, String... tags) {
            if (tags.length > 4) {
                throw new IllegalArgumentException("at most two tag pairs, got " + tags.length / 2);
            }
            return new SensorKey(name, tag(tags, 0), tag(tags, 1), tag(tags, 2), tag(tags, 3));
        }

        private static String tag(String[] tags, int i) {
            return i < tags.length ? tags[i] : null;
        }
    }

    public IngestMetrics(StreamsMetrics metrics) {
        this.metrics = metrics;
    }

    public void eventIn(String kind) {
        record(EVENTS_IN, "kind", kind);
    }

    public void pairOut(String kind) {
        record(PAIRS_OUT, "kind", kind);
    }

    public void dropped(String kind, String reason) {
        record(DROPPED, "kind", kind, "reason", reason);
    }

    public void eventValid() {
        record(EVENTS_VALID);
    }

    public void eventBinarized() {
        record(EVENTS_BINARIZED);
    }

    public void duplicate() {
        record(DUPLICATES);
    }

    public void conflict() {
        record(CONFLICTS);
    }

    public void deadLettered(String reason) {
        record(DLQ, "reason", reason);
    }

    /**
     * Counts a record about to be dead-lettered (as {@code dlq} and as a drop of its kind) and returns the
     * exception that sends it there.
     */
    public RejectedRecordException reject(String kind, Rejection rejection) {
        deadLettered(rejection.reason().code());
        dropped(kind, rejection.reason().code());
        return new RejectedRecordException(rejection);
    }

    /** Counts a record the processing handler will dead-letter because our code failed on it. */
    public void processingError(String kind) {
        deadLettered(RejectReason.PROCESSING_ERROR.code());
        dropped(kind, RejectReason.PROCESSING_ERROR.code());
    }

    /**
     * Publishes a count kept elsewhere as {@code <name>-total{tagKey=tagValue}} (read when the metric is read).
     * Idempotent: the first registration of a name wins.
     */
    public void publishCount(String name, String tagKey, String tagValue, LongSupplier count) {
        String sensorName = sensorName(name, tagKey, tagValue) + ".published";
        synchronized (metrics) {
            Sensor sensor = metrics.addSensor(sensorName, Sensor.RecordingLevel.INFO);
            sensor.add(new MetricName(name + "-total", GROUP, "Total " + name + " {" + tagKey + "=" + tagValue + "}", Map.of(tagKey, tagValue)),
                    new MeasurableStat() {
                        @Override
                        public void record(MetricConfig config, double value, long timeMs) {
                            // the count is kept by its owner; nothing to record here
                        }

                        @Override
                        public double measure(MetricConfig config, long now) {
                            return count.getAsLong();
                        }
                    });
        }
    }

    public void voteStored(boolean paired) {
        record(VOTES_STORED);
        if (!paired) {
            record(VOTES_UNPAIRED);
        }
    }

    private void record(String name, String... tags) {
        SensorKey key = SensorKey.of(name, tags);
        Sensor sensor = sensors.get(key);
        if (sensor == null) {
            sensor = register(sensorName(name, tags), name, tags);
            sensors.put(key, sensor);
        }
        sensor.record();
    }

    private Sensor register(String sensorName, String name, String... tags) {
        Map<String, String> tagMap = new LinkedHashMap<>();
        for (int i = 0; i + 1 < tags.length; i += 2) {
            tagMap.put(tags[i], tags[i + 1]);
        }
        // synchronized on the registry: two stream threads may create the same sensor at once
        synchronized (metrics) {
            Sensor sensor = metrics.addSensor(sensorName, Sensor.RecordingLevel.INFO);
            sensor.add(new MetricName(name + "-total", GROUP, "Total " + name + " " + tagMap, tagMap), new CumulativeCount());
            sensor.add(new MetricName(name + "-rate", GROUP, "Per-second rate of " + name + " " + tagMap, tagMap), new Rate(new WindowedCount()));
            return sensor;
        }
    }

    private static String sensorName(String name, String... tags) {
        StringBuilder s = new StringBuilder(GROUP).append('.').append(name);
        for (String t : tags) {
            s.append('.').append(t);
        }
        return s.toString();
    }
}
