package dev.prefstream.trainer.stream;

import dev.prefstream.checkpoint.format.VerifiedCheckpoint;
import dev.prefstream.devstack.testing.KafkaClusterExtension;
import dev.prefstream.schemas.registry.HttpSchemaRegistryClient;
import dev.prefstream.schemas.testing.HostileRecords;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Hostile records on the pairs topic (nested deep enough to exhaust the stack, made-up schema ids) are dead-lettered
 * as undeserializable / unknown_schema_id and every valid pair behind them is trained; a dead-letter topic that
 * refuses the dead letters stops the trainer with a named error before any checkpoint passes the record.
 */
class HostilePairsTrainerTest {

    @RegisterExtension
    static final KafkaClusterExtension kafka = new KafkaClusterExtension();

    @TempDir
    Path tmp;

    private StreamingTrainerConfig config(String topic, String dlq, Path dir) {
        return StreamingTrainerConfig.defaults("hostile-" + UUID.randomUUID().toString().substring(0, 6), dir).with(b -> {
            b.inputTopic = topic;
            b.microBatchPairs = 4;
            b.checkpointEverySteps = 1;
            b.checkpointEvery = Duration.ofSeconds(1);
            b.maxBatchWait = Duration.ofMillis(200);
            b.heldOutFraction = 0.0;
            b.leaderElection = false;
            b.keepCheckpoints = 1000;
            b.deadLetterTopic = dlq;
        });
    }

    private static List<dev.prefstream.schemas.avro.PreferencePair> pairs(String prefix, int n) {
        return IntStream.range(0, n).mapToObj(i -> TestPairs.pair(prefix + "-" + i)).toList();
    }

    @Test
    void nestedRecordsAndRandomSchemaIdsAreDeadLetteredAndEveryValidPairIsTrained() throws Exception {
        String topic = PairLog.freshPairsTopic(kafka, 1);
        String dlq = kafka.createTopic("pairs-dlq-" + UUID.randomUUID().toString().substring(0, 8), 1, Map.of());
        long base = PairLog.nowBase();
        PairLog.produce(kafka.clientConfigWithRegistry(), topic, 1, pairs("ok1", 4), base);
        try (HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.forUrl(kafka.registryUrl())) {
            kafka.produceBytes(topic, List.of(
                    Map.entry("deep".getBytes(), HostileRecords.nested(registry, topic + "-value", TestPairs.pair("deep-1"), 200_000)),
                    Map.entry("deep".getBytes(), HostileRecords.nested(registry, topic + "-value", TestPairs.pair("deep-2"), 600_000)),
                    Map.entry("rnd".getBytes(), HostileRecords.withSchemaId(777_777)),
                    Map.entry("rnd".getBytes(), HostileRecords.withSchemaId(888_888))));
        }
        PairLog.produce(kafka.clientConfigWithRegistry(), topic, 1, pairs("ok2", 4), base + 20);

        StreamingTrainerConfig c = config(topic, dlq, tmp.resolve("t"));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        StreamingTrainer t = new StreamingTrainer(c, kafka.clientConfigWithRegistry(), RecordingPairTrainer.factory(),
                StreamingTrainer.resumeFromNewestCheckpoint(c), new TrainerMetrics(meters, c.modelName(), System::currentTimeMillis), Clock.systemUTC());
        CompletableFuture<StreamingTrainer.Outcome> running = CompletableFuture.supplyAsync(t::run);
        VerifiedCheckpoint cp = awaitPairsTrained(t, 8);
        t.stop();
        running.get(60, TimeUnit.SECONDS);

        assertThat(cp.manifest().pairsTrained()).isEqualTo(8);
        assertThat(t.lastCheckpoint().orElseThrow().manifest().offsetsOf(topic)).containsEntry(0, 12L);
        assertThat(meters.get("prefstream.trainer.bad.records").counter().count()).isEqualTo(4.0);
        List<ConsumerRecord<byte[], byte[]>> dead = PairLog.readRecords(kafka.clientConfig(), dlq);
        assertThat(dead).extracting(r -> header(r, "prefstream.dlq.reason"))
                .containsExactly("undeserializable", "undeserializable", "unknown_schema_id", "unknown_schema_id");
        assertThat(dead).extracting(r -> header(r, "prefstream.dlq.source.offset")).containsExactly("4", "5", "6", "7");
    }

    @Test
    void aDeadLetterTheBrokerRefusesStopsTheTrainerWithANamedErrorAndNoCheckpointPassesIt() throws Exception {
        String topic = PairLog.freshPairsTopic(kafka, 1);
        String dlq = kafka.createTopic("pairs-dlq-" + UUID.randomUUID().toString().substring(0, 8), 1, Map.of("max.message.bytes", "64"));
        long base = PairLog.nowBase();
        PairLog.produce(kafka.clientConfigWithRegistry(), topic, 1, pairs("ok1", 4), base);
        kafka.produceBytes(topic, List.of(Map.entry("junk".getBytes(), "not avro at all, and long enough to exceed the topic limit".getBytes())));
        PairLog.produce(kafka.clientConfigWithRegistry(), topic, 1, pairs("ok2", 8), base + 20);

        StreamingTrainerConfig c = config(topic, dlq, tmp.resolve("t"));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        StreamingTrainer t = new StreamingTrainer(c, kafka.clientConfigWithRegistry(), RecordingPairTrainer.factory(),
                StreamingTrainer.resumeFromNewestCheckpoint(c), new TrainerMetrics(meters, c.modelName(), System::currentTimeMillis), Clock.systemUTC());
        CompletableFuture<StreamingTrainer.Outcome> running = CompletableFuture.supplyAsync(t::run);

        assertThatThrownBy(() -> running.get(120, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(DeadLetterPublisher.DeadLetterUndeliverableException.class)
                .hasMessageContaining("not_wire_format").hasMessageContaining(dlq);
        assertThat(meters.get("prefstream.trainer.dlq.undeliverable").counter().count()).isGreaterThanOrEqualTo(1.0);
        // no checkpoint passes the record whose dead letter was not written: a restart reads it again
        t.lastCheckpoint().ifPresent(cp -> assertThat(cp.manifest().offsetsOf(topic).get(0)).isLessThanOrEqualTo(4L));
        assertThat(PairLog.readRecords(kafka.clientConfig(), dlq)).isEmpty();
    }

    private static VerifiedCheckpoint awaitPairsTrained(StreamingTrainer t, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            var cp = t.lastCheckpoint();
            if (cp.isPresent() && cp.get().manifest().pairsTrained() >= expected) {
                return cp.get();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("trainer did not checkpoint " + expected + " pairs");
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
        var h = r.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), java.nio.charset.StandardCharsets.UTF_8);
    }
}
