package dev.prefstream.ingest.service;

import dev.prefstream.devstack.testing.KafkaClusterExtension;
import dev.prefstream.ingest.Events;
import dev.prefstream.ingest.config.IngestConfig;
import dev.prefstream.ingest.metrics.IngestCounters;
import dev.prefstream.schemas.DeadLetterHeaders;
import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.avro.Thumb;
import dev.prefstream.schemas.serde.AvroSerdes;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import static dev.prefstream.ingest.Events.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The ingest service on a real in-process Kafka broker with the embedded schema registry, exactly-once: a mixed
 * stream with duplicates, garbage and invalid events gives exactly the expected pairs and dead letters, and the
 * dedup and vote state survive a restart of the service on the same state dir.
 */
class IngestIntegrationTest {

    @RegisterExtension
    static final KafkaClusterExtension kafka = new KafkaClusterExtension();

    private static final Duration SAFETY = Duration.ofSeconds(90);
    private static final Map<String, String> FOREVER = Map.of("retention.ms", "-1", "retention.bytes", "-1");

    @TempDir
    Path stateDir;

    private String events;
    private String pairs;
    private String dlq;
    private String appId;
    private Serde<PreferenceEvent> eventSerde;

    private IngestConfig config() {
        Map<String, Object> props = new HashMap<>();
        props.put(IngestConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        props.put(IngestConfig.SCHEMA_REGISTRY_URL, kafka.registryUrl());
        props.put(IngestConfig.APPLICATION_ID, appId);
        props.put(IngestConfig.TOPIC_EVENTS, events);
        props.put(IngestConfig.TOPIC_PAIRS, pairs);
        props.put(IngestConfig.TOPIC_DLQ, dlq);
        props.put("state.dir", stateDir.toString());
        props.put("commit.interval.ms", "100");
        props.put("num.stream.threads", "1");
        props.put(IngestConfig.METRICS_LOG_INTERVAL, "PT5S");
        return IngestConfig.from(props);
    }

    private byte[] bytes(PreferenceEvent event) {
        return eventSerde.serializer().serialize(events, event);
    }

    private static Map.Entry<byte[], byte[]> record(String key, byte[] value) {
        return Map.entry(key.getBytes(StandardCharsets.UTF_8), value);
    }

    private Map.Entry<byte[], byte[]> record(PreferenceEvent event) {
        return record(event.getEventId(), bytes(event));
    }

    @Test
    void mixedStreamGivesExactlyTheExpectedPairsAndDeadLettersAndStateSurvivesARestart() throws Exception {
        // retained forever, like the layout's topics: the pairs carry event time (weeks ago), which a default
        // 7-day retention would delete
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        events = kafka.createTopic("events-" + suffix, 3, FOREVER);
        pairs = kafka.createTopic("pairs-" + suffix, 3, FOREVER);
        dlq = kafka.createTopic("dlq-" + suffix, 1, FOREVER);
        appId = "ingest-it-" + UUID.randomUUID().toString().substring(0, 8);
        eventSerde = AvroSerdes.specific(PreferenceEvent.class, kafka.clientConfigWithRegistry(), false);

        PreferenceEvent comparison = Events.comparison("c1", "Capital of France?", "Paris.", "Lyon.", ComparisonOutcome.A);
        PreferenceEvent respaced = Events.comparison("c2", "Capital   of France?\n", "Paris. ", "Lyon.", ComparisonOutcome.A);
        PreferenceEvent ranking = Events.ranking("k1", "Sort these", List.of(List.of(0), List.of(1), List.of(2)), "best", "middle", "worst");
        PreferenceEvent rating = Events.rating("t1", "Rate these", new double[]{4.5, 2}, "strong", "weak");
        PreferenceEvent tie = Events.comparison("tie1", "Coin flip?", "heads", "tails", ComparisonOutcome.TIE);
        PreferenceEvent noPrompt = PreferenceEvent.newBuilder(Events.comparison("bad1", "x", "a", "b", ComparisonOutcome.A)).setPrompt(List.of()).build();
        PreferenceEvent degenerate = Events.comparison("deg1", "Echo", "same  answer", "same answer", ComparisonOutcome.A);
        PreferenceEvent up = Events.thumbs("f1", "alice", "Tell a joke", "j1", "A funny joke", Thumb.UP, T0);
        PreferenceEvent down = Events.thumbs("f2", "bob", "Tell a joke", "j2", "A bad joke", Thumb.DOWN, T0.plusSeconds(90));
        byte[] garbage = "definitely not avro".getBytes(StandardCharsets.UTF_8);
        byte[] unknownSchema = ByteBuffer.allocate(8).put((byte) 0).putInt(987654).put(new byte[]{2, 4, 6}).array();

        io.micrometer.prometheusmetrics.PrometheusMeterRegistry prometheus =
                new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
        try (IngestService service = new IngestService(config())) {
            service.bindTo(prometheus);
            service.start();
            kafka.produceBytes(events, List.of(
                    record(comparison), record(comparison), record(respaced), record("g1", garbage), record("g2", unknownSchema),
                    record(noPrompt), record(ranking), record(rating), record(up), record(down), record(tie), record(degenerate)));
            awaitProcessed(service, 12);
            // the opposite label on the same two responses, after the first label is in
            kafka.produceBytes(events, List.of(record(Events.comparison("c3", "Capital of France?", "Paris.", "Lyon.", ComparisonOutcome.B))));
            awaitProcessed(service, 13);

            List<PreferencePair> out = values(kafka.consume(pairs, 5, new StringDeserializer(), pairDeserializer()));
            // c1 and its respaced copy c2 are one pair; which of the two texts it carries depends on which input
            // partition was read first, so the texts are compared normalized
            assertThat(out).extracting(p -> normalize(p.getChosen()) + ">" + normalize(p.getRejected())).containsExactlyInAnyOrder(
                    "Paris.>Lyon.", "best>worst", "strong>weak", "A funny joke>A bad joke", "Lyon.>Paris.");
            PreferencePair conflicting = out.stream().filter(p -> normalize(p.getChosen()).equals("Lyon.")).findFirst().orElseThrow();
            // the opposite label came after two distinct events (c1, c2; c1's replay is not a vote) said the reverse
            assertThat(conflicting.getConflicts()).isEqualTo(2);
            assertThat(conflicting.getWeight()).isCloseTo(1.0 / 3, within(1e-12));
            assertThat(out.stream().filter(p -> p.getChosen().equals("A funny joke")).findFirst().orElseThrow().getEventIds())
                    .containsExactly("f1", "f2");

            List<ConsumerRecord<byte[], byte[]>> dead = kafka.consumeBytes(dlq, 4);
            Map<String, ConsumerRecord<byte[], byte[]>> byReason = new HashMap<>();
            dead.forEach(r -> byReason.put(header(r, DeadLetterHeaders.REASON), r));
            assertThat(byReason).containsOnlyKeys("not_wire_format", "unknown_schema_id", "no_prompt", "degenerate_pair");
            assertThat(byReason.get("not_wire_format").value()).isEqualTo(garbage);
            assertThat(byReason.get("unknown_schema_id").value()).isEqualTo(unknownSchema);
            assertThat(byReason.get("no_prompt").value()).isEqualTo(bytes(noPrompt));
            assertThat(eventSerde.deserializer().deserialize(events, byReason.get("degenerate_pair").value()).getEventId()).isEqualTo("deg1");
            for (ConsumerRecord<byte[], byte[]> r : dead) {
                assertThat(header(r, DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo(events);
                assertThat(header(r, DeadLetterHeaders.MESSAGE)).isNotBlank();
                assertThat(Long.parseLong(header(r, DeadLetterHeaders.SOURCE_OFFSET))).isNotNegative();
            }
            assertThat(header(byReason.get("unknown_schema_id"), DeadLetterHeaders.MESSAGE)).contains("987654");

            IngestCounters counters = service.counters();
            assertThat(counters.sum("pairs-out")).isEqualTo(5);
            assertThat(counters.sum("dlq")).isEqualTo(4);
            assertThat(counters.get("duplicates")).isEqualTo(2);
            assertThat(counters.get("conflicts")).isEqualTo(1);
            assertThat(counters.get("dropped{kind=comparison,reason=tie}")).isEqualTo(1);
            // the same counters over JMX, where Kafka Streams publishes its custom metrics
            var jmx = java.lang.management.ManagementFactory.getPlatformMBeanServer();
            var conflictsBean = jmx.queryNames(new javax.management.ObjectName("kafka.streams:type=prefstream-ingest,*"), null).stream()
                    .filter(n -> {
                        try {
                            return jmx.getAttribute(n, "conflicts-total") != null;
                        } catch (Exception e) {
                            return false;
                        }
                    }).findFirst().orElseThrow();
            assertThat(((Number) jmx.getAttribute(conflictsBean, "conflicts-total")).longValue()).isEqualTo(1);
            // and in Prometheus' text format, as `prefstream ingest --metrics-port` serves them
            long scrapeDeadline = System.nanoTime() + SAFETY.toNanos();
            java.util.regex.Pattern conflictsLine = java.util.regex.Pattern.compile("(?m)^prefstream_ingest_conflicts_total(\\{.*\\})? 1\\.0$");
            while (!conflictsLine.matcher(prometheus.scrape()).find() && System.nanoTime() < scrapeDeadline) {
                Thread.sleep(200);
            }
            String scrape = prometheus.scrape();
            assertThat(scrape).containsPattern(conflictsLine)
                    .containsPattern("(?m)^prefstream_ingest_dropped_total\\{kind=\"comparison\",reason=\"tie\"\\} 1\\.0$")
                    .contains("kafka_stream_thread_");
            assertThat(service.close(Duration.ofSeconds(30))).isTrue();
        }

        // restart on the same state dir: what was seen before is still known
        try (IngestService restarted = new IngestService(config())) {
            restarted.start();
            PreferenceEvent rankingAgain = PreferenceEvent.newBuilder(ranking).setEventId("k2").build();
            PreferenceEvent carolDown = Events.thumbs("f3", "carol", "Tell a joke", "j3", "An old joke", Thumb.DOWN, T0.plusSeconds(120));
            kafka.produceBytes(events, List.of(record(rankingAgain), record(carolDown)));
            awaitProcessed(restarted, 2);

            List<PreferencePair> all = values(kafka.consume(pairs, 6, new StringDeserializer(), pairDeserializer()));
            assertThat(all).extracting(p -> p.getChosen() + ">" + p.getRejected()).contains("A funny joke>An old joke");
            IngestCounters counters = restarted.counters();
            assertThat(counters.sum("pairs-out")).isEqualTo(1);
            assertThat(counters.get("duplicates")).isEqualTo(1);
            assertThat(restarted.state()).isEqualTo(KafkaStreams.State.RUNNING);
        }
    }

    /** Waits (safety-capped) until the running app has taken in {@code records} input records and both stages caught up. */
    private static void awaitProcessed(IngestService service, long records) throws InterruptedException {
        Predicate<IngestCounters> done = c -> c.sum("events-in") + deserializationFailures(c) >= records
                && c.get("events-valid") == c.get("events-binarized");
        long deadline = System.nanoTime() + SAFETY.toNanos();
        while (!done.test(service.counters())) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("ingest did not process " + records + " records: " + service.counters().summary());
            }
            Thread.sleep(100);
        }
    }

    private static long deserializationFailures(IngestCounters c) {
        return c.get("dlq{reason=not_wire_format}") + c.get("dlq{reason=unknown_schema_id}") + c.get("dlq{reason=undeserializable}");
    }

    private static org.apache.kafka.common.serialization.Deserializer<PreferencePair> pairDeserializer() {
        return AvroSerdes.specific(PreferencePair.class, kafka.clientConfigWithRegistry(), false).deserializer();
    }

    private static <K, V> List<V> values(List<ConsumerRecord<K, V>> records) {
        List<V> out = new ArrayList<>();
        records.forEach(r -> out.add(r.value()));
        return out;
    }

    private static String normalize(String text) {
        return dev.prefstream.ingest.canonical.TextNormalizer.normalize(text);
    }

    private static String header(ConsumerRecord<?, ?> record, String key) {
        Header h = record.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
