package dev.prefstream.trainer.stream;

import dev.prefstream.checkpoint.format.VerifiedCheckpoint;
import dev.prefstream.checkpoint.split.HeldOutSplit;
import dev.prefstream.devstack.broker.EmbeddedBrokerSettings;
import dev.prefstream.devstack.broker.EmbeddedKafkaBroker;
import dev.prefstream.schemas.avro.PreferencePair;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The broker goes down and comes back (same data directory and ports) while the trainer runs: no pair lost or duplicated. */
class BrokerRestartTest {

    @TempDir
    Path tmp;

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    private static List<PreferencePair> pairs(String prefix, int n) {
        return IntStream.range(0, n).mapToObj(i -> TestPairs.pair(prefix + "-" + i)).toList();
    }

    private static VerifiedCheckpoint await(StreamingTrainer t, long pairs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline) {
            Optional<VerifiedCheckpoint> cp = t.lastCheckpoint();
            if (cp.isPresent() && cp.get().manifest().pairsTrained() >= pairs) {
                return cp.get();
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no checkpoint with " + pairs + " pairs; last " + t.lastCheckpoint().map(c -> c.manifest().pairsTrained()));
    }

    @Test
    void brokerRestartMidStreamLosesAndDuplicatesNothing() throws Exception {
        EmbeddedBrokerSettings settings = EmbeddedBrokerSettings.onFreePorts(tmp.resolve("data")).withPorts(freePort(), freePort());
        String topic = "pairs-" + UUID.randomUUID().toString().substring(0, 6);
        Map<String, Object> client = new HashMap<>();
        // the in-memory registry lives in this JVM, so schemas survive the broker restart without an HTTP registry
        client.put("schema.registry.url", "mock://broker-restart-" + topic);
        long base = PairLog.nowBase();
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(settings);
        client.put("bootstrap.servers", broker.bootstrapServers());
        try (Admin admin = Admin.create(broker.clientConfig())) {
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1).configs(Map.of("retention.ms", "-1")))).all().get(30, TimeUnit.SECONDS);
        }
        PairLog.produce(client, topic, 3, pairs("before", 45), base);

        StreamingTrainerConfig c = StreamingTrainerConfig.defaults("restart-" + topic, tmp.resolve("ckpt")).with(b -> {
            b.inputTopic = topic;
            b.microBatchPairs = 4;
            b.checkpointEverySteps = 2;
            b.checkpointEvery = Duration.ofSeconds(1);
            b.maxBatchWait = Duration.ofMillis(300);
            b.heldOutFraction = 0.1;
            b.keepCheckpoints = 1000;
            b.leaderSessionTimeout = Duration.ofSeconds(6);
            b.leaderInstanceId = "restart-test";
        });
        StreamingTrainer trainer = new StreamingTrainer(c, client, RecordingPairTrainer.factory(), StreamingTrainer.resumeFromNewestCheckpoint(c),
                new TrainerMetrics(new SimpleMeterRegistry(), c.modelName(), System::currentTimeMillis), Clock.systemUTC());
        CompletableFuture<StreamingTrainer.Outcome> running = CompletableFuture.supplyAsync(trainer::run);
        try {
            await(trainer, 8);
            broker.close(Duration.ofSeconds(30));
            Thread.sleep(2000); // the trainer keeps polling a dead broker meanwhile
            broker = EmbeddedKafkaBroker.start(settings);
            PairLog.produce(client, topic, 3, pairs("after", 45), base + 1000);

            HeldOutSplit split = new HeldOutSplit(0.1, HeldOutSplit.DEFAULT_SALT);
            Map<String, String> log = PairLog.readAll(client, topic);
            assertThat(log).hasSize(90);
            Set<String> trainable = log.entrySet().stream().filter(e -> !split.isHeldOut(e.getValue())).map(Map.Entry::getKey).collect(Collectors.toSet());
            VerifiedCheckpoint done = await(trainer, trainable.size());
            trainer.stop();
            running.get(60, TimeUnit.SECONDS);

            TrainingLedger ledger = TrainingLedger.of(tmp.resolve("ckpt"), done.version());
            assertThat(ledger.check()).isEqualTo(trainable.size());
            assertThat(ledger.entries().stream().map(e -> e.partition() + "@" + e.offset()).collect(Collectors.toSet())).isEqualTo(trainable);
        } finally {
            trainer.stop();
            broker.close(Duration.ofSeconds(30));
        }
    }
}
