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
import dev.prefstream.schemas.registry.HttpSchemaRegistryClient;
import dev.prefstream.schemas.serde.AvroSerdes;
import dev.prefstream.schemas.testing.HostileRecords;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.function.Predicate;

import static dev.prefstream.ingest.Events.T0;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile input on a real in-process broker: deeply nested records under a recursive writer schema, made-up schema
 * ids, a hot prompt with many thumbs votes, and a dead-letter topic that refuses the dead letters. After each, the
 * valid events behind the hostile ones become their pairs and the counters account for every record.
 */
class HostileInputIngestTest {

    @RegisterExtension
    static final KafkaClusterExtension kafka = new KafkaClusterExtension();

    private static final Duration SAFETY = Duration.ofSeconds(120);
    private static final Map<String, String> FOREVER = Map.of("retention.ms", "-1", "retention.bytes", "-1");

    @TempDir
    Path stateDir;

    private IngestConfig config(String events, String pairs, String dlq, Map<String, String> extra) {
        Map<String, Object> props = new HashMap<>();
        props.put(IngestConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        props.put(IngestConfig.SCHEMA_REGISTRY_URL, kafka.registryUrl());
        props.put(IngestConfig.APPLICATION_ID, "hostile-" + UUID.randomUUID().toString().substring(0, 8));
        props.put(IngestConfig.TOPIC_EVENTS, events);
        props.put(IngestConfig.TOPIC_PAIRS, pairs);
        props.put(IngestConfig.TOPIC_DLQ, dlq);
        props.put("state.dir", stateDir.toString());
        props.put("commit.interval.ms", "100");
        props.put("num.stream.threads", "1");
        props.putAll(extra);
        return IngestConfig.from(props);
    }

    private static Map.Entry<byte[], byte[]> record(String key, byte[] value) {
        return Map.entry(key.getBytes(StandardCharsets.UTF_8), value);
    }

    @Test
    void nestedRecordsRandomSchemaIdsAndAHotPromptDoNotStopOrCostTheValidEvents() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String events = kafka.createTopic("events-" + suffix, 1, FOREVER);
        String pairs = kafka.createTopic("pairs-" + suffix, 1, FOREVER);
        String dlq = kafka.createTopic("dlq-" + suffix, 1, FOREVER);
        Serde<PreferenceEvent> serde = AvroSerdes.specific(PreferenceEvent.class, kafka.clientConfigWithRegistry(), false);

        List<Map.Entry<byte[], byte[]>> in = new ArrayList<>();
        PreferenceEvent first = Events.comparison("c1", "Capital of France?", "Paris.", "Lyon.", ComparisonOutcome.A);
        in.add(record("c1", serde.serializer().serialize(events, first)));
        try (HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.forUrl(kafka.registryUrl())) {
            for (int depth : new int[]{100_000, 500_000}) {
                PreferenceEvent deep = Events.comparison("deep-" + depth, "Deep?", "yes " + depth, "no", ComparisonOutcome.A);
                in.add(record("deep", HostileRecords.nested(registry, events + "-value", deep, depth)));
            }
        }
        Random random = new Random(15);
        for (int i = 0; i < 30; i++) {
            in.add(record("rnd", HostileRecords.withSchemaId(1_000_000 + random.nextInt(1_000_000_000))));
        }
        // a hot prompt: 10 votes, alternately up and down, each on its own response; the cap keeps 4
        for (int i = 0; i < 10; i++) {
            in.add(record("h" + i, serde.serializer().serialize(events, Events.thumbs("h" + i, "ann-" + i, "Hot prompt?", "r" + i,
                    "answer number " + i, i % 2 == 0 ? Thumb.UP : Thumb.DOWN, T0.plusSeconds(i)))));
        }
        PreferenceEvent last = Events.ranking("k1", "Sort these", List.of(List.of(0), List.of(1), List.of(2)), "best", "middle", "worst");
        in.add(record("k1", serde.serializer().serialize(events, last)));

        try (IngestService service = new IngestService(config(events, pairs, dlq, Map.of(IngestConfig.MAX_VOTES_PER_PROMPT, "4")))) {
            service.start();
            kafka.produceBytes(events, in);
            await(service, c -> c.sum("events-in") + deserializationFailures(c) >= in.size() && c.get("events-valid") == c.get("events-binarized")
                    && c.sum("pairs-out") >= 6);

            List<PreferencePair> out = new ArrayList<>();
            kafka.consume(pairs, 6, new StringDeserializer(), AvroSerdes.specific(PreferencePair.class, kafka.clientConfigWithRegistry(), false).deserializer())
                    .forEach(r -> out.add(r.value()));
            // h1>h0... : h1 pairs with h0, h2 with h1, h3 with h0 and h2
            assertThat(out).extracting(p -> p.getChosen() + ">" + p.getRejected()).containsExactlyInAnyOrder(
                    "Paris.>Lyon.", "best>worst", "answer number 0>answer number 1", "answer number 2>answer number 1",
                    "answer number 0>answer number 3", "answer number 2>answer number 3");

            IngestCounters c = service.counters();
            assertThat(c.get("dlq{reason=undeserializable}")).isEqualTo(2);
            assertThat(c.get("dlq{reason=unknown_schema_id}")).isEqualTo(30);
            assertThat(c.get("dropped{kind=feedback,reason=prompt_vote_cap}")).isEqualTo(6);
            assertThat(c.sum("events-in") + deserializationFailures(c)).as("every record accounted for").isEqualTo(in.size());
            List<ConsumerRecord<byte[], byte[]>> dead = kafka.consumeBytes(dlq, 32);
            assertThat(dead).filteredOn(r -> "undeserializable".equals(header(r, DeadLetterHeaders.REASON))).hasSize(2)
                    .allSatisfy(r -> assertThat(header(r, DeadLetterHeaders.MESSAGE)).contains("nests too deeply"));
            assertThat(service.state()).isEqualTo(org.apache.kafka.streams.KafkaStreams.State.RUNNING);
        }
    }

    @Test
    void aDeadLetterTheBrokerRefusesStopsLoudlyWithoutCommittingPastItAndNothingIsLostOnceItCanBeWritten() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String events = kafka.createTopic("events-" + suffix, 1, FOREVER);
        String pairs = kafka.createTopic("pairs-" + suffix, 1, FOREVER);
        Map<String, String> tiny = new HashMap<>(FOREVER);
        tiny.put("max.message.bytes", "64"); // every dead letter (bytes + headers) is larger
        String dlq = kafka.createTopic("dlq-" + suffix, 1, tiny);
        Serde<PreferenceEvent> serde = AvroSerdes.specific(PreferenceEvent.class, kafka.clientConfigWithRegistry(), false);
        byte[] garbage = "definitely not avro".getBytes(StandardCharsets.UTF_8);
        PreferenceEvent valid = Events.comparison("v1", "Capital of Italy?", "Rome.", "Milan.", ComparisonOutcome.A);

        try (IngestService service = new IngestService(config(events, pairs, dlq, Map.of()))) {
            service.start();
            kafka.produceBytes(events, List.of(record("g1", garbage), record("v1", serde.serializer().serialize(events, valid))));
            await(service, c -> c.get("dlq-undeliverable{topic=" + dlq + "}") >= 1);
            // nothing was committed past the undelivered dead letter: the valid event behind it produced no visible pair
            assertThat(committedCount(pairs)).isZero();

            // the operator fixes the topic: the garbage is dead-lettered and the valid event becomes its pair
            kafka.admin().incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, dlq),
                    List.of(new AlterConfigOp(new ConfigEntry("max.message.bytes", "1048588"), AlterConfigOp.OpType.SET)))).all().get();
            List<ConsumerRecord<String, PreferencePair>> out = kafka.consume(pairs, 1, new StringDeserializer(),
                    AvroSerdes.specific(PreferencePair.class, kafka.clientConfigWithRegistry(), false).deserializer());
            assertThat(out).extracting(r -> r.value().getChosen()).containsExactly("Rome.");
            List<ConsumerRecord<byte[], byte[]>> dead = kafka.consumeBytes(dlq, 1);
            assertThat(dead).extracting(r -> header(r, DeadLetterHeaders.REASON)).containsExactly("not_wire_format");
            assertThat(dead.get(0).value()).isEqualTo(garbage);
        }
    }

    /** Records a read_committed reader sees on {@code topic} up to its last stable offset now. */
    private static long committedCount(String topic) {
        Map<String, Object> c = kafka.clientConfig();
        c.put(org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(c,
                new org.apache.kafka.common.serialization.ByteArrayDeserializer(), new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            org.apache.kafka.common.TopicPartition tp = new org.apache.kafka.common.TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            long n = 0;
            while (consumer.position(tp) < end) {
                n += consumer.poll(Duration.ofMillis(200)).count();
            }
            return n;
        }
    }

    private static void await(IngestService service, Predicate<IngestCounters> done) throws InterruptedException {
        long deadline = System.nanoTime() + SAFETY.toNanos();
        while (!done.test(service.counters())) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("ingest did not get there: " + service.counters().summary());
            }
            Thread.sleep(100);
        }
    }

    private static long deserializationFailures(IngestCounters c) {
        return c.get("dlq{reason=not_wire_format}") + c.get("dlq{reason=unknown_schema_id}") + c.get("dlq{reason=undeserializable}");
    }

    private static String header(ConsumerRecord<?, ?> record, String key) {
        Header h = record.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
