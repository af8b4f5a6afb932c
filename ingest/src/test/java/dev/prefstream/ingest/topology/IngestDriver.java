package dev.prefstream.ingest.topology;

import dev.prefstream.ingest.config.IngestConfig;
import dev.prefstream.ingest.metrics.IngestCounters;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.serde.AvroSerdes;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.internals.StateDirectory;
import org.apache.kafka.streams.test.TestRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/**
 * The production topology ({@link IngestTopology#build}) with the production Streams properties
 * ({@link IngestTopology#streamsProperties}) in a TopologyTestDriver, over an in-memory registry scope of its own.
 */
public final class IngestDriver implements AutoCloseable {

    private final TopologyTestDriver driver;
    private final TestInputTopic<byte[], byte[]> input;
    private final TestOutputTopic<String, PreferencePair> pairs;
    private final TestOutputTopic<byte[], byte[]> dlq;
    private final Serde<PreferenceEvent> eventSerde;
    private final Serde<PreferencePair> pairSerde;
    private final IngestConfig config;
    private final Properties streamsProperties;
    private boolean closed;

    /** A driver with its own registry scope and state dir. */
    public IngestDriver(Path stateDir, Map<String, ?> overrides) {
        this(stateDir, "mock://ingest-" + UUID.randomUUID(), overrides);
    }

    /** A driver over a given registry scope and state dir (a restart reuses both). */
    public IngestDriver(Path stateDir, String registryUrl, Map<String, ?> overrides) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(IngestConfig.SCHEMA_REGISTRY_URL, registryUrl);
        settings.put(IngestConfig.BOOTSTRAP_SERVERS, "ttd:9092");
        settings.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        settings.putAll(overrides);
        this.config = IngestConfig.from(settings);
        Properties props = IngestTopology.streamsProperties(config);
        // streams-level overrides a test may need (e.g. the processing guarantee, which the production properties fix)
        overrides.forEach((k, v) -> {
            if (k.startsWith("processing.")) {
                props.put(k, v);
            }
        });
        this.streamsProperties = props;
        this.driver = new TopologyTestDriver(IngestTopology.build(config), props, Instant.parse("2026-11-01T00:00:00Z"));
        this.eventSerde = AvroSerdes.specific(PreferenceEvent.class, config.serdeConfig(), false);
        this.pairSerde = AvroSerdes.specific(PreferencePair.class, config.serdeConfig(), false);
        this.input = driver.createInputTopic(config.inputTopic(), new ByteArraySerializer(), new ByteArraySerializer());
        this.pairs = driver.createOutputTopic(config.outputTopic(), new StringDeserializer(), pairSerde.deserializer());
        this.dlq = driver.createOutputTopic(config.dlqTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    public IngestConfig config() {
        return config;
    }

    /** Pipes an event, with a broker timestamp one hour after its occurred_at. */
    public byte[] pipe(PreferenceEvent event) {
        byte[] bytes = encode(event);
        input.pipeInput(new TestRecord<>(event.getEventId().getBytes(StandardCharsets.UTF_8), bytes, null,
                event.getOccurredAt().plusSeconds(3600)));
        return bytes;
    }

    /** Pipes raw bytes as a record value. */
    public void pipeRaw(byte[] key, byte[] value, Instant brokerTime) {
        input.pipeInput(new TestRecord<>(key, value, null, brokerTime));
    }

    public byte[] encode(PreferenceEvent event) {
        return eventSerde.serializer().serialize(config.inputTopic(), event);
    }

    public PreferenceEvent decode(byte[] bytes) {
        return eventSerde.deserializer().deserialize(config.inputTopic(), bytes);
    }

    /** Pairs written since the last call. */
    public List<TestRecord<String, PreferencePair>> pairRecords() {
        return pairs.readRecordsToList();
    }

    public List<PreferencePair> pairs() {
        return pairs.readValuesToList();
    }

    /** Dead-letter records written since the last call. */
    public List<TestRecord<byte[], byte[]>> dlq() {
        return dlq.readRecordsToList();
    }

    public IngestCounters counters() {
        return IngestCounters.of(driver.metrics());
    }

    /** The Streams properties the driver runs with (a copy). */
    public Properties streamsProperties() {
        Properties copy = new Properties();
        copy.putAll(streamsProperties);
        return copy;
    }

    public TopologyTestDriver driver() {
        return driver;
    }

    public static String header(TestRecord<?, ?> record, String key) {
        Header h = record.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** Closes the driver (which deletes its task directories, see {@link #closeKeepingState()}); idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        driver.close();
        eventSerde.close();
        pairSerde.close();
    }

    /**
     * Closes the driver the way {@code KafkaStreams.close()} stops an app, leaving the state dir on disk for a
     * restart: a new driver over the same state dir then opens the stores as this one left them.
     *
     * <p>{@link TopologyTestDriver#close()} first closes the task cleanly (commit, stores flushed, each store's
     * committed changelog offset recorded in the store, stores closed, under whatever processing guarantee the
     * driver runs), and then, unlike KafkaStreams, ends with {@code StateDirectory.clean()}, which deletes every task
     * directory. That last step alone is diverted: the driver's private {@code stateDirectory} field (not public API)
     * is pointed at a StateDirectory over an empty throwaway folder, so {@code clean()} empties that folder instead
     * and the real state dir keeps exactly what the clean close wrote. Coupled to the test-utils internals of Kafka
     * Streams 4.3: if the field goes away this throws, rather than letting a restart test pass on wiped state.
     */
    public void closeKeepingState() {
        Path throwaway;
        try {
            throwaway = Files.createTempDirectory("ttd-discarded-state-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Properties decoyProps = new Properties();
        decoyProps.putAll(streamsProperties);
        decoyProps.put(StreamsConfig.STATE_DIR_CONFIG, throwaway.toString());
        try {
            Field field = TopologyTestDriver.class.getDeclaredField("stateDirectory");
            field.setAccessible(true);
            field.set(driver, new StateDirectory(new StreamsConfig(decoyProps), Time.SYSTEM, false, false));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("TopologyTestDriver has no stateDirectory field to divert its clean-up", e);
        }
        close();
        try (var leftovers = Files.walk(throwaway)) {
            leftovers.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
