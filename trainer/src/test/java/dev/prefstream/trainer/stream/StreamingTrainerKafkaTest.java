package dev.prefstream.trainer.stream;

import dev.prefstream.checkpoint.format.CheckpointReader;
import dev.prefstream.checkpoint.format.VerifiedCheckpoint;
import dev.prefstream.checkpoint.split.HeldOutSplit;
import dev.prefstream.devstack.testing.KafkaClusterExtension;
import dev.prefstream.schemas.avro.PreferencePair;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The streaming loop on a real broker with a stand-in trainer: exactly-once accounting, standby takeover, determinism. */
class StreamingTrainerKafkaTest {

    @RegisterExtension
    static final KafkaClusterExtension kafka = new KafkaClusterExtension();

    @TempDir
    Path tmp;

    private StreamingTrainerConfig config(String topic, String model, Path dir) {
        return StreamingTrainerConfig.defaults(model, dir).with(b -> {
            b.inputTopic = topic;
            b.microBatchPairs = 4;
            b.checkpointEverySteps = 2;
            b.checkpointEvery = Duration.ofSeconds(1);
            b.maxBatchWait = Duration.ofMillis(300);
            b.heldOutFraction = 0.1;
            b.keepCheckpoints = 1000;
            b.leaderSessionTimeout = Duration.ofSeconds(6);
        });
    }

    private StreamingTrainer trainer(StreamingTrainerConfig c) {
        return new StreamingTrainer(c, kafka.clientConfigWithRegistry(), RecordingPairTrainer.factory(),
                StreamingTrainer.resumeFromNewestCheckpoint(c), new TrainerMetrics(new SimpleMeterRegistry(), c.modelName(), System::currentTimeMillis),
                Clock.systemUTC());
    }

    private static List<PreferencePair> pairs(String prefix, int n) {
        return IntStream.range(0, n).mapToObj(i -> TestPairs.pair(prefix + "-" + i)).toList();
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
        throw new AssertionError("trainer did not checkpoint " + expected + " pairs; last: " + t.lastCheckpoint().map(c -> c.manifest().pairsTrained()));
    }

    @Test
    void everyPairIsTrainedExactlyOnceAcrossRestartsAndGroupOffsetsFollowCheckpoints() throws Exception {
        String topic = PairLog.freshPairsTopic(kafka, 3);
        String model = "m-" + UUID.randomUUID().toString().substring(0, 6);
        Path dir = tmp.resolve("ckpt");
        PairLog.produce(kafka.clientConfigWithRegistry(), topic, 3, pairs("a", 90), PairLog.nowBase() + 1_000);
        HeldOutSplit split = new HeldOutSplit(0.1, HeldOutSplit.DEFAULT_SALT);
        Map<String, String> log = PairLog.readAll(kafka.clientConfigWithRegistry(), topic);
        Set<String> expectedCoords = log.entrySet().stream().filter(e -> !split.isHeldOut(e.getValue())).map(Map.Entry::getKey).collect(Collectors.toSet());
        assertThat(expectedCoords.size()).isBetween(60, 89);

        assertThat(trainer(config(topic, model, dir).with(b -> b.stopAtStep = 5)).run()).isEqualTo(StreamingTrainer.Outcome.FINISHED);
        assertThat(CheckpointReader.newestGood(dir).orElseThrow().step()).isEqualTo(5);
        assertThat(trainer(config(topic, model, dir).with(b -> b.stopAtStep = 11)).run()).isEqualTo(StreamingTrainer.Outcome.FINISHED);

        StreamingTrainer last = trainer(config(topic, model, dir));
        CompletableFuture<StreamingTrainer.Outcome> running = CompletableFuture.supplyAsync(last::run);
        VerifiedCheckpoint done = awaitPairsTrained(last, expectedCoords.size());
        last.stop();
        assertThat(running.get(60, TimeUnit.SECONDS)).isEqualTo(StreamingTrainer.Outcome.STOPPED);

        TrainingLedger ledger = TrainingLedger.of(dir, done.version());
        assertThat(ledger.check()).isEqualTo(expectedCoords.size());
        assertThat(ledger.entries().stream().map(e -> e.partition() + "@" + e.offset()).collect(Collectors.toSet())).isEqualTo(expectedCoords);
        assertThat(ledger.entries()).allSatisfy(e -> assertThat(log.get(e.partition() + "@" + e.offset())).isEqualTo(e.pairId()));
        assertThat(ledger.checkpoints().get(0).manifest().parentVersion()).isNull();

        Map<TopicPartition, OffsetAndMetadata> committed = kafka.admin().listConsumerGroupOffsets("prefstream-trainer." + model)
                .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        VerifiedCheckpoint newest = CheckpointReader.newestGood(dir).orElseThrow();
        for (var o : newest.manifest().offsets()) {
            assertThat(committed.get(new TopicPartition(o.topic(), o.partition())).offset()).isEqualTo(o.nextOffset());
        }
    }

    @Test
    void aSecondInstanceWaitsAsStandbyAndTakesOverFromTheLeadersCheckpoint() throws Exception {
        String topic = PairLog.freshPairsTopic(kafka, 3);
        String model = "s-" + UUID.randomUUID().toString().substring(0, 6);
        Path dir = tmp.resolve("shared");
        PairLog.produce(kafka.clientConfigWithRegistry(), topic, 3, pairs("b", 40), PairLog.nowBase() + 2_000);

        StreamingTrainer leader = trainer(config(topic, model, dir));
        CompletableFuture<StreamingTrainer.Outcome> leaderRun = CompletableFuture.supplyAsync(leader::run);
        VerifiedCheckpoint leaderCp = awaitPairsTrained(leader, 1);

        StreamingTrainer standby = trainer(config(topic, model, dir));
        CompletableFuture<StreamingTrainer.Outcome> standbyRun = CompletableFuture.supplyAsync(standby::run);
        Thread.sleep(1500); // give the standby time to (wrongly) start; it must not write anything while the leader lives
        assertThat(standby.lastCheckpoint()).isEmpty();

        leader.stop();
        assertThat(leaderRun.get(60, TimeUnit.SECONDS)).isEqualTo(StreamingTrainer.Outcome.STOPPED);
        VerifiedCheckpoint leaderLast = leader.lastCheckpoint().orElseThrow();

        // more feedback arrives after the handover; only the new leader can train it
        PairLog.produce(kafka.clientConfigWithRegistry(), topic, 3, pairs("b2", 40), PairLog.nowBase() + 2_100);
        List<String> expected = new ArrayList<>();
        HeldOutSplit split = new HeldOutSplit(0.1, HeldOutSplit.DEFAULT_SALT);
        PairLog.readAll(kafka.clientConfigWithRegistry(), topic).forEach((k, v) -> {
            if (!split.isHeldOut(v)) {
                expected.add(k);
            }
        });
        VerifiedCheckpoint standbyCp = awaitPairsTrained(standby, expected.size());
        standby.stop();
        standbyRun.get(60, TimeUnit.SECONDS);

        assertThat(leaderCp.step()).isPositive();
        TrainingLedger ledger = TrainingLedger.of(dir, standbyCp.version());
        assertThat(ledger.check()).isEqualTo(expected.size());
        assertThat(ledger.checkpoints()).extracting(VerifiedCheckpoint::version).contains(leaderLast.version());
        assertThat(standbyCp.manifest().pairsTrained()).isGreaterThan(leaderLast.manifest().pairsTrained());
    }

    @Test
    void twoRunsOverTheSameLogFormTheSameBatchesAndEndWithTheSameWeights() throws Exception {
        String topic = PairLog.freshPairsTopic(kafka, 3);
        PairLog.produce(kafka.clientConfigWithRegistry(), topic, 3, pairs("c", 60), PairLog.nowBase() + 3_000);
        List<String> weights = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            Path dir = tmp.resolve("det-" + run);
            StreamingTrainerConfig c = config(topic, "d-" + run + "-" + UUID.randomUUID().toString().substring(0, 4), dir)
                    .with(b -> {
                        b.stopAtStep = 9;
                        b.maxBatchWait = Duration.ofMinutes(5); // batches close on size only
                        b.leaderElection = false;
                    });
            assertThat(trainer(c).run()).isEqualTo(StreamingTrainer.Outcome.FINISHED);
            weights.add(Files.readString(CheckpointReader.newestGood(dir).orElseThrow().dir().resolve("model.safetensors")));
        }
        assertThat(weights.get(0)).isEqualTo(weights.get(1)).isNotEqualTo("init");
    }

    /**
     * 150 pairs over 3 partitions do not fit one poll (64 records), so one partition is delivered after the others
     * have been buffered. Batches must still follow the log's (timestamp, partition, offset) order, which is what
     * a replay forms. The start-offset lookup used to mark the late partition "caught up" (the client records any
     * ListOffsets answer as the partition's stable offset), and batches were formed without it.
     */
    @Test
    void batchesFollowTheLogsMergeOrderEvenWhenAPartitionIsDeliveredLate() throws Exception {
        String topic = PairLog.freshPairsTopic(kafka, 3);
        List<PairLog.Coord> produced = PairLog.produce(kafka.clientConfigWithRegistry(), topic, 3, pairs("late", 150),
                PairLog.nowBase() + 5_000);
        Path dir = tmp.resolve("merge-order");
        StreamingTrainerConfig c = config(topic, "mo-" + UUID.randomUUID().toString().substring(0, 6), dir).with(b -> {
            b.stopAtStep = 30;
            b.maxBatchWait = Duration.ofMinutes(5); // batches close on size only
            b.leaderElection = false;
            b.checkpointEverySteps = 30;
        });
        assertThat(trainer(c).run()).isEqualTo(StreamingTrainer.Outcome.FINISHED);

        HeldOutSplit split = new HeldOutSplit(c.heldOutFraction(), c.heldOutSalt());
        List<String> expected = produced.stream()
                .filter(p -> !split.isHeldOut(p.pairId()))
                .sorted(java.util.Comparator.comparingLong(PairLog.Coord::timestamp)
                        .thenComparingInt(PairLog.Coord::partition).thenComparingLong(PairLog.Coord::offset))
                .map(p -> p.partition() + "@" + p.offset())
                .limit(30L * c.microBatchPairs())
                .toList();
        TrainingLedger ledger = TrainingLedger.of(dir, CheckpointReader.newestGood(dir).orElseThrow().version());
        assertThat(ledger.entries()).extracting(e -> e.partition() + "@" + e.offset()).containsExactlyElementsOf(expected);
    }

    @Test
    void undecodableAndUntrainableRecordsAreDeadLetteredWithTheirReasonAndPassedWithoutStoppingTraining() throws Exception {
        String topic = PairLog.freshPairsTopic(kafka, 1);
        String dlq = kafka.createTopic("pairs-dlq-" + UUID.randomUUID().toString().substring(0, 8), 1, Map.of());
        long base = PairLog.nowBase();
        PairLog.produce(kafka.clientConfigWithRegistry(), topic, 1, pairs("ok1", 5), base);
        kafka.produceBytes(topic, List.of(Map.entry("junk".getBytes(), new byte[]{9, 9, 9})));
        PairLog.produce(kafka.clientConfigWithRegistry(), topic, 1,
                List.of(dev.prefstream.schemas.avro.PreferencePair.newBuilder(TestPairs.pair("bad-role", "q", "a", "b"))
                        .setPrompt(List.of(dev.prefstream.schemas.avro.ChatMessage.newBuilder().setRole("narrator").setContent("x").build())).build()),
                base + 10);
        PairLog.produce(kafka.clientConfigWithRegistry(), topic, 1, pairs("ok2", 5), base + 20);

        StreamingTrainerConfig c = config(topic, "bad-" + UUID.randomUUID().toString().substring(0, 6), tmp.resolve("bad")).with(b -> {
            b.heldOutFraction = 0.0;
            b.leaderElection = false;
            b.maxBatchWait = Duration.ofMillis(200);
            b.deadLetterTopic = dlq;
        });
        io.micrometer.core.instrument.simple.SimpleMeterRegistry meters = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        StreamingTrainer t = new StreamingTrainer(c, kafka.clientConfigWithRegistry(), RecordingPairTrainer.factory(),
                StreamingTrainer.resumeFromNewestCheckpoint(c), new TrainerMetrics(meters, c.modelName(), System::currentTimeMillis), Clock.systemUTC());
        CompletableFuture<StreamingTrainer.Outcome> running = CompletableFuture.supplyAsync(t::run);
        VerifiedCheckpoint cp = awaitPairsTrained(t, 10);
        t.stop();
        running.get(60, TimeUnit.SECONDS);

        assertThat(cp.manifest().pairsTrained()).isEqualTo(10);
        assertThat(t.lastCheckpoint().orElseThrow().manifest().offsetsOf(topic)).containsEntry(0, 12L); // past the two bad records
        TrainingLedger ledger = TrainingLedger.of(tmp.resolve("bad"), t.lastCheckpoint().orElseThrow().version());
        assertThat(ledger.entries()).extracting(TrainingLogEntry::offset).doesNotContain(5L, 6L).hasSize(10);
        assertThat(meters.get("prefstream.trainer.bad.records").counter().count()).isEqualTo(2.0);

        // both bad records are on the dead-letter topic, original bytes and the reason in headers, exactly once
        // (one run, no crash), stamped before the first checkpoint whose offsets pass them
        List<ConsumerRecord<byte[], byte[]>> dead = PairLog.readRecords(kafka.clientConfig(), dlq);
        assertThat(dead).hasSize(2);
        ConsumerRecord<byte[], byte[]> junk = dead.get(0);
        assertThat(junk.key()).isEqualTo("junk".getBytes());
        assertThat(junk.value()).isEqualTo(new byte[]{9, 9, 9});
        assertThat(header(junk, "prefstream.dlq.reason")).isEqualTo("not_wire_format");
        assertThat(header(junk, "prefstream.dlq.message")).isNotBlank();
        assertThat(header(junk, "prefstream.dlq.source.topic")).isEqualTo(topic);
        assertThat(header(junk, "prefstream.dlq.source.partition")).isEqualTo("0");
        assertThat(header(junk, "prefstream.dlq.source.offset")).isEqualTo("5");
        assertThat(header(junk, "prefstream.dlq.stage")).isEqualTo("trainer");
        assertThat(header(junk, "prefstream.dlq.consumer")).isEqualTo(c.modelName());
        ConsumerRecord<byte[], byte[]> untrainable = dead.get(1);
        assertThat(header(untrainable, "prefstream.dlq.reason")).isEqualTo("untrainable_pair");
        assertThat(header(untrainable, "prefstream.dlq.message")).contains("bad-role").contains("narrator");
        assertThat(header(untrainable, "prefstream.dlq.source.offset")).isEqualTo("6");
        assertThat(untrainable.value()).isEqualTo(PairLog.readRecords(kafka.clientConfig(), topic).get(6).value());
        VerifiedCheckpoint firstPast = ledger.checkpoints().stream()
                .filter(k -> k.manifest().offsetsOf(topic).get(0) > 6).findFirst().orElseThrow();
        assertThat(dead).allSatisfy(d -> assertThat(d.timestamp()).isLessThanOrEqualTo(firstPast.manifest().createdAt().toEpochMilli()));
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
        var h = r.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), java.nio.charset.StandardCharsets.UTF_8);
    }
}
