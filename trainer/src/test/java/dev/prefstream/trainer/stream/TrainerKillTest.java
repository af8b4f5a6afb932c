package dev.prefstream.trainer.stream;

import dev.prefstream.checkpoint.format.CheckpointReader;
import dev.prefstream.checkpoint.format.CheckpointVerification;
import dev.prefstream.checkpoint.format.VerifiedCheckpoint;
import dev.prefstream.checkpoint.split.HeldOutSplit;
import dev.prefstream.devstack.testing.KafkaClusterExtension;
import dev.prefstream.schemas.avro.PreferencePair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Exactly-once under SIGKILL: the trainer runs as a separate JVM (real DPO on the tiny model) and is killed with
 * SIGKILL at random moments, at least 5 times, while pairs keep arriving; it is restarted each time. Afterwards the
 * manifests and per-pair training logs must show every trainable pair trained exactly once, and every checkpoint
 * directory left behind must verify.
 */
class TrainerKillTest {

    @RegisterExtension
    static final KafkaClusterExtension kafka = new KafkaClusterExtension();

    @TempDir
    Path tmp;

    /** Train LoRA adapters in the child process (the LoRA variant of the test). */
    private boolean lora;

    private Process start(String topic, String model, Path dir, int run) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx1g", "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                TrainerProcessMain.class.getName(), kafka.bootstrapServers(), kafka.registryUrl(), topic, model, dir.toString(),
                lora ? "lora" : "full");
        File out = tmp.resolve("trainer-run-" + run + ".txt").toFile();
        pb.redirectErrorStream(true).redirectOutput(out);
        return pb.start();
    }

    private static List<PreferencePair> pairs(String prefix, int from, int n) {
        return IntStream.range(from, from + n).mapToObj(i -> TestPairs.pair(prefix + "-" + i, "Q" + i + "?", "yes " + i, "no " + i)).toList();
    }

    @Test
    void sigkilledTrainerTrainsEveryPairExactlyOnce() throws Exception {
        killAndResume();
    }

    /** The same with LoRA: adapter checkpoints (PEFT files + base reference) resume exactly once too. */
    @Test
    void sigkilledLoraTrainerTrainsEveryPairExactlyOnce() throws Exception {
        lora = true;
        killAndResume();
        VerifiedCheckpoint newest = CheckpointReader.newestGood(tmp.resolve("ckpt")).orElseThrow();
        assertThat(newest.manifest().files()).containsKeys("adapter_config.json", "adapter_model.safetensors",
                "trainer-state/base.json").doesNotContainKey("model.safetensors");
        assertThat(newest.manifest().properties()).containsEntry(DpoPairTrainer.FORMAT, DpoPairTrainer.FORMAT_PEFT_LORA);
    }

    private void killAndResume() throws Exception {
        String topic = PairLog.freshPairsTopic(kafka, 3);
        String model = "kill-" + UUID.randomUUID().toString().substring(0, 6);
        Path dir = tmp.resolve("ckpt");
        Random rnd = new Random(20261123);
        long base = PairLog.nowBase();
        int produced = 0;
        int kills = 0;
        int run = 0;
        produced += PairLog.produce(kafka.clientConfigWithRegistry(), topic, 3, pairs("k", produced, 24), base + produced).size();
        while (kills < 5) {
            Path childLogFile = tmp.resolve("trainer-run-" + run + ".txt");
            Process p = start(topic, model, dir, run++);
            // wait until it is training (JVM start, DJL, lease and restore take seconds), then let it run a random
            // while, feeding pairs, so that kills land between steps, mid-step and mid-checkpoint
            long startDeadline = System.currentTimeMillis() + 90_000;
            while (System.currentTimeMillis() < startDeadline && !Files.readString(childLogFile).contains("StreamingTrainer - Training ")) {
                assertThat(p.isAlive()).as("trainer process died: %s", Files.readString(childLogFile)).isTrue();
                Thread.sleep(100);
            }
            long runFor = 300 + rnd.nextInt(3500);
            long until = System.currentTimeMillis() + runFor;
            while (System.currentTimeMillis() < until) {
                Thread.sleep(Math.min(700, Math.max(1, until - System.currentTimeMillis())));
                produced += PairLog.produce(kafka.clientConfigWithRegistry(), topic, 3, pairs("k", produced, 4), base + produced).size();
            }
            p.destroyForcibly(); // SIGKILL
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            kills++;
            List<String> childLog = Files.readAllLines(tmp.resolve("trainer-run-" + (run - 1) + ".txt"));
            System.out.printf("kill %d after %d ms: newest good checkpoint %s, %d pairs produced, child's last line: %s%n", kills, runFor,
                    CheckpointReader.newestGood(dir).map(VerifiedCheckpoint::version).orElse("none"), produced,
                    childLog.isEmpty() ? "" : childLog.get(childLog.size() - 1));
        }

        HeldOutSplit split = new HeldOutSplit(0.1, HeldOutSplit.DEFAULT_SALT);
        Map<String, String> log = PairLog.readAll(kafka.clientConfigWithRegistry(), topic);
        assertThat(log).hasSize(produced);
        Set<String> trainable = log.entrySet().stream().filter(e -> !split.isHeldOut(e.getValue())).map(Map.Entry::getKey).collect(Collectors.toSet());

        // a last run trains the rest, then stops cleanly (SIGTERM -> final checkpoint)
        Process last = start(topic, model, dir, run);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        Optional<VerifiedCheckpoint> newest = Optional.empty();
        while (System.nanoTime() < deadline) {
            newest = CheckpointReader.newestGood(dir);
            if (newest.isPresent() && newest.get().manifest().pairsTrained() >= trainable.size()) {
                break;
            }
            Thread.sleep(500);
        }
        last.destroy();
        assertThat(last.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(tmp.resolve("trainer-run-" + run + ".txt"))).contains("TRAINER-STOPPED");

        newest = CheckpointReader.newestGood(dir);
        assertThat(newest).isPresent();
        TrainingLedger ledger = TrainingLedger.of(dir, newest.get().version());
        assertThat(ledger.check()).isEqualTo(trainable.size());
        assertThat(ledger.entries().stream().map(e -> e.partition() + "@" + e.offset()).collect(Collectors.toSet())).isEqualTo(trainable);
        assertThat(ledger.entries()).allSatisfy(e -> assertThat(log.get(e.partition() + "@" + e.offset())).isEqualTo(e.pairId()));

        // no checkpoint directory was left corrupted by any kill (temp dirs of interrupted writes are not checkpoints)
        List<String> bad = new ArrayList<>();
        for (Path d : CheckpointReader.checkpointDirs(dir)) {
            CheckpointVerification v = CheckpointReader.verify(d);
            if (!v.isGood()) {
                bad.add(d.getFileName() + ": " + v.badFile() + " " + v.problem());
            }
        }
        assertThat(bad).isEmpty();
        // the kills really interrupted training: more than one lineage start means restarts resumed from checkpoints
        assertThat(ledger.checkpoints().size()).isGreaterThan(kills);
    }
}
