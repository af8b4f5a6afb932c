package dev.prefstream.cli.bench;

import dev.prefstream.devstack.broker.EmbeddedBrokerSettings;
import dev.prefstream.devstack.broker.EmbeddedKafkaBroker;
import dev.prefstream.devstack.registry.EmbeddedSchemaRegistry;
import dev.prefstream.ingest.config.IngestConfig;
import dev.prefstream.ingest.metrics.IngestCounters;
import dev.prefstream.ingest.service.IngestService;
import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.serde.AvroSerdes;
import dev.prefstream.schemas.topics.TopicProvisioner;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * {@code prefstream bench ingest}: on a fresh embedded broker and registry, produces the same N records (see
 * {@link BenchEventGenerator}) twice, timed the same way, from the first send until the work is done:
 * <ol>
 *   <li>raw: a plain producer writes the bytes to a scratch topic while a plain consumer reads them; done when the
 *       consumer has all N.</li>
 *   <li>ingest: the ingest app (the production topology and properties: exactly-once, repartition, stores) is
 *       running; the bytes are produced to its input topic; done when it has taken in all N records, both stages
 *       have caught up, and its output transactions are committed (no open transaction on pairs and DLQ).</li>
 * </ol>
 * The ratio says how much of the broker's raw produce-to-consume rate ingest keeps.
 *
 * <p>Warm-up: before the timed passes, both paths run once, untimed, on {@code warmupEvents} other records (another
 * seed) on topics and an application id of their own, so the timed passes measure steady state rather than the
 * JIT compiling Kafka Streams, Avro and RocksDB code for the first time (profiled at N=30000 without warm-up, the C2
 * compiler threads used about as much CPU as the stream thread during the ingest pass). The timed ingest app starts
 * with empty stores and does exactly the work it did without warm-up. {@code warmupEvents = 0} measures cold.
 */
public final class IngestBenchmark {

    private static final Logger log = LoggerFactory.getLogger(IngestBenchmark.class);
    private static final Duration SAFETY = Duration.ofMinutes(10);
    private static final int PARTITIONS = 3;
    private static final String WARMUP = "warmup-";

    private final int events;
    private final int warmupEvents;
    private final Path workDir;
    private final Consumer<String> progress;

    /**
     * @param events   records to produce (at least 100)
     * @param workDir  a directory for the broker's log and the app's state (deleted afterwards)
     * @param progress one-line progress messages (to stderr in the CLI)
     */
    public IngestBenchmark(int events, Path workDir, Consumer<String> progress) {
        this(events, 0, workDir, progress);
    }

    /**
     * @param events       records to produce in the timed passes (at least 100)
     * @param warmupEvents records to run through both paths untimed first (0: none, a cold measurement)
     * @param workDir      a directory for the broker's log and the app's state (deleted afterwards)
     * @param progress     one-line progress messages (to stderr in the CLI)
     */
    public IngestBenchmark(int events, int warmupEvents, Path workDir, Consumer<String> progress) {
        if (events < 100) {
            throw new IllegalArgumentException("--events must be at least 100, got " + events);
        }
        if (warmupEvents < 0) {
            throw new IllegalArgumentException("--warmup-events must be >= 0, got " + warmupEvents);
        }
        this.events = events;
        this.warmupEvents = warmupEvents;
        this.workDir = workDir;
        this.progress = progress;
    }

    public BenchResult run() throws InterruptedException {
        progress.accept("starting embedded broker and schema registry in " + workDir);
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedBrokerSettings.onFreePorts(workDir.resolve("broker")));
             Admin admin = Admin.create(broker.clientConfig())) {
            new TopicProvisioner(admin, Duration.ofSeconds(60)).ensure(List.of(
                    new TopicLayout.TopicSpec(TopicLayout.PREFERENCE_EVENTS, PARTITIONS, Map.of()),
                    new TopicLayout.TopicSpec(TopicLayout.PREFERENCE_PAIRS, PARTITIONS, Map.of("retention.ms", "-1")),
                    new TopicLayout.TopicSpec(TopicLayout.PREFERENCE_EVENTS_DLQ, 1, Map.of()),
                    new TopicLayout.TopicSpec("bench-raw", PARTITIONS, Map.of()),
                    new TopicLayout.TopicSpec(WARMUP + "raw", PARTITIONS, Map.of()),
                    new TopicLayout.TopicSpec(WARMUP + TopicLayout.PREFERENCE_EVENTS, PARTITIONS, Map.of()),
                    new TopicLayout.TopicSpec(WARMUP + TopicLayout.PREFERENCE_PAIRS, PARTITIONS, Map.of()),
                    new TopicLayout.TopicSpec(WARMUP + TopicLayout.PREFERENCE_EVENTS_DLQ, 1, Map.of()),
                    new TopicLayout.TopicSpec(TopicLayout.SCHEMAS, 1, Map.of("cleanup.policy", "compact"))));
            try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(new EmbeddedSchemaRegistry.Settings(
                    broker.clientConfig(), "localhost", 0, TopicLayout.SCHEMAS, Duration.ofSeconds(30)))) {
                Map<String, Object> clients = new HashMap<>(broker.clientConfig());
                clients.put(IngestConfig.SCHEMA_REGISTRY_URL, registry.url());

                progress.accept("generating " + events + " records");
                List<BenchEventGenerator.BenchRecord> records;
                List<BenchEventGenerator.BenchRecord> warmup;
                try (Serde<PreferenceEvent> serde = AvroSerdes.specific(PreferenceEvent.class, clients, false)) {
                    records = new BenchEventGenerator(42, Instant.now().minus(Duration.ofHours(1)))
                            .generate(events, e -> serde.serializer().serialize(TopicLayout.PREFERENCE_EVENTS, e));
                    warmup = warmupEvents == 0 ? List.of() : new BenchEventGenerator(7, Instant.now().minus(Duration.ofHours(2)))
                            .generate(warmupEvents, e -> serde.serializer().serialize(TopicLayout.PREFERENCE_EVENTS, e));
                }
                double averageBytes = records.stream().mapToInt(r -> r.value().length).average().orElse(0);
                if (!warmup.isEmpty()) {
                    progress.accept("warm-up (untimed): raw and ingest on " + warmup.size() + " other records, topics " + WARMUP + "*");
                    rawProduceConsume(clients, WARMUP + "raw", warmup);
                    ingest(clients, admin, warmup, WARMUP);
                }

                progress.accept(String.format("raw produce->consume of %d records (%.0f bytes on average)", events, averageBytes));
                long cpuBefore = processCpuNanos();
                double rawSeconds = rawProduceConsume(clients, "bench-raw", records);
                double rawCpu = (processCpuNanos() - cpuBefore) / 1e9;
                progress.accept(String.format("raw: %.2f s (%.2f s of CPU)", rawSeconds, rawCpu));

                progress.accept("ingest app on the same records");
                IngestRun ingest = ingest(clients, admin, records, "");
                progress.accept(String.format("ingest: %.2f s (%.2f s of CPU); %s", ingest.seconds(), ingest.cpuSeconds(), ingest.counters().summary()));
                return new BenchResult(events, events / ingest.seconds(), events / rawSeconds,
                        ingest.counters().sum("pairs-out"), ingest.counters().sum("dlq"), averageBytes, rawCpu, ingest.cpuSeconds());
            }
        } finally {
            deleteQuietly(workDir);
        }
    }

    private static KafkaProducer<byte[], byte[]> producer(Map<String, Object> clients) {
        Map<String, Object> config = new HashMap<>(clients);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static void produceAll(KafkaProducer<byte[], byte[]> producer, String topic, List<BenchEventGenerator.BenchRecord> records) {
        for (BenchEventGenerator.BenchRecord r : records) {
            producer.send(new ProducerRecord<>(topic, r.key(), r.value()));
        }
        producer.flush();
    }

    private double rawProduceConsume(Map<String, Object> clients, String topic, List<BenchEventGenerator.BenchRecord> records) {
        Map<String, Object> config = new HashMap<>(clients);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
             KafkaProducer<byte[], byte[]> producer = producer(clients)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                partitions.add(new TopicPartition(topic, p));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            consumer.poll(Duration.ZERO);
            long start = System.nanoTime();
            Thread sender = new Thread(() -> produceAll(producer, topic, records), "bench-raw-producer");
            sender.start();
            long received = 0;
            long deadline = start + SAFETY.toNanos();
            while (received < records.size()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("raw consumer got " + received + " of " + records.size() + " records within " + SAFETY);
                }
                ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(100));
                received += batch.count();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            sender.join(TimeUnit.MINUTES.toMillis(1));
            return seconds;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private record IngestRun(double seconds, double cpuSeconds, IngestCounters counters) {
    }

    /** CPU time of this whole process (broker, registry, app and clients all run in it). */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** Runs a fresh ingest app (application id and topics prefixed with {@code prefix}) over the records. */
    private IngestRun ingest(Map<String, Object> clients, Admin admin, List<BenchEventGenerator.BenchRecord> records, String prefix)
            throws InterruptedException {
        Map<String, Object> settings = new HashMap<>(clients);
        settings.put(IngestConfig.APPLICATION_ID, prefix + "bench-ingest");
        settings.put(IngestConfig.TOPIC_EVENTS, prefix + TopicLayout.PREFERENCE_EVENTS);
        settings.put(IngestConfig.TOPIC_PAIRS, prefix + TopicLayout.PREFERENCE_PAIRS);
        settings.put(IngestConfig.TOPIC_DLQ, prefix + TopicLayout.PREFERENCE_EVENTS_DLQ);
        settings.put("state.dir", workDir.resolve(prefix + "state").toString());
        settings.put(IngestConfig.METRICS_LOG_INTERVAL, "PT1S");
        IngestConfig config = IngestConfig.from(settings);
        try (IngestService service = new IngestService(config);
             KafkaProducer<byte[], byte[]> producer = producer(clients)) {
            service.start();
            long deadline = System.nanoTime() + SAFETY.toNanos();
            while (service.state() != KafkaStreams.State.RUNNING) {
                check(deadline, "the ingest app did not start: " + service.state());
                Thread.sleep(20);
            }
            long start = System.nanoTime();
            long cpuStart = processCpuNanos();
            Thread sender = new Thread(() -> produceAll(producer, config.inputTopic(), records), "bench-ingest-producer");
            sender.start();
            IngestCounters counters = service.counters();
            while (!caughtUp(counters, records.size())) {
                check(deadline, "the ingest app did not process " + records.size() + " records: " + counters.summary());
                // KafkaStreams#metrics() copies every client metric: reading it often would steal the app's CPU
                Thread.sleep(200);
                counters = service.counters();
            }
            progress.accept(String.format("ingest: all records processed after %.2f s; waiting for the last commit", (System.nanoTime() - start) / 1e9));
            while (!committed(admin, List.of(config.outputTopic(), config.dlqTopic()))) {
                check(deadline, "the ingest app's output was not committed");
                Thread.sleep(10);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpuSeconds = (processCpuNanos() - cpuStart) / 1e9;
            sender.join(TimeUnit.MINUTES.toMillis(1));
            progress.accept(String.format("ingest: committed after %.2f s", seconds));
            counters = service.counters();
            log.info("ingest bench counters: {}", counters.summary());
            return new IngestRun(seconds, cpuSeconds, counters);
        }
    }

    /** All records taken in (as events or as undeserializable), and the second stage has every valid event. */
    static boolean caughtUp(IngestCounters c, long records) {
        long undeserializable = c.get("dlq{reason=not_wire_format}") + c.get("dlq{reason=unknown_schema_id}") + c.get("dlq{reason=undeserializable}");
        return c.sum("events-in") + undeserializable >= records && c.get("events-valid") == c.get("events-binarized");
    }

    /** True when no transaction is open on the topics: everything written so far is visible to read_committed readers. */
    private static boolean committed(Admin admin, List<String> topics) {
        try {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (String topic : topics) {
                admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
                        .forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            }
            var stable = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get();
            var end = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all().get();
            return latest.keySet().stream().allMatch(tp -> stable.get(tp).offset() == end.get(tp).offset());
        } catch (Exception e) {
            throw new IllegalStateException("cannot read offsets of " + topics, e);
        }
    }

    private static void check(long deadline, String message) {
        if (System.nanoTime() > deadline) {
            throw new IllegalStateException(message + " within " + SAFETY);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
