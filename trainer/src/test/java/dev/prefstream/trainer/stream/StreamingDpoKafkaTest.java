package dev.prefstream.trainer.stream;

import ai.djl.Device;
import dev.prefstream.checkpoint.format.CheckpointReader;
import dev.prefstream.checkpoint.format.VerifiedCheckpoint;
import dev.prefstream.devstack.testing.KafkaClusterExtension;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.trainer.dpo.DpoTrainer;
import dev.prefstream.trainer.model.HfModelLoader;
import dev.prefstream.trainer.model.LoadedModel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The streaming trainer with real DPO on the tiny model, on a real broker. */
class StreamingDpoKafkaTest {

    @RegisterExtension
    static final KafkaClusterExtension kafka = new KafkaClusterExtension();

    @TempDir
    Path tmp;

    private static List<PreferencePair> pairs(String prefix, int n) {
        return IntStream.range(0, n).mapToObj(i -> TestPairs.pair(prefix + "-" + i, "Q" + i + ": colour of sky?", "blue, " + i, "green " + i)).toList();
    }

    private StreamingTrainerConfig config(String topic, Path dir) {
        return StreamingTrainerConfig.defaults("tiny-" + UUID.randomUUID().toString().substring(0, 6), dir).with(b -> {
            b.inputTopic = topic;
            b.microBatchPairs = 4;
            b.checkpointEverySteps = 2;
            b.maxBatchWait = Duration.ofMinutes(5);
            b.heldOutFraction = 0.1;
            b.keepCheckpoints = 100;
            b.leaderElection = false;
        });
    }

    private StreamingTrainer trainer(StreamingTrainerConfig c) {
        return new StreamingTrainer(c, kafka.clientConfigWithRegistry(), TinyDpo.factory(c), StreamingTrainer.resumeFromNewestCheckpoint(c),
                new TrainerMetrics(new SimpleMeterRegistry(), c.modelName(), System::currentTimeMillis), Clock.systemUTC());
    }

    @Test
    void trainsCheckpointsThatLoadAndResumesFromThePreviousOneWhenTheNewestHasAFlippedByte() throws Exception {
        String topic = PairLog.freshPairsTopic(kafka, 3);
        PairLog.produce(kafka.clientConfigWithRegistry(), topic, 3, pairs("e", 40), PairLog.nowBase() + 5_000);
        Path dir = tmp.resolve("ckpt");
        StreamingTrainerConfig c = config(topic, dir).with(b -> b.stopAtStep = 4);
        assertThat(trainer(c).run()).isEqualTo(StreamingTrainer.Outcome.FINISHED);

        VerifiedCheckpoint step4 = CheckpointReader.newestGood(dir).orElseThrow();
        assertThat(step4.step()).isEqualTo(4);
        assertThat(step4.manifest().files()).containsKeys("config.json", "model.safetensors", "tokenizer.json",
                "trainer-state/state.json", "trainer-state/optimizer.safetensors", "trained-pairs.jsonl");
        assertThat(step4.manifest().metrics()).containsKeys("loss", "rewards/margins", "rewards/accuracies");
        assertThat(step4.manifest().pairsTrained()).isEqualTo(16);
        try (LoadedModel m = HfModelLoader.loadWithTokenizer(step4.dir(), Device.cpu())) {
            assertThat(m.model().config().modelType()).isEqualTo("llama");
        }

        Path weights = step4.dir().resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        bytes[bytes.length - 7] ^= 0x10;
        Files.write(weights, bytes);
        VerifiedCheckpoint fallback = CheckpointReader.newestGood(dir).orElseThrow();
        assertThat(fallback.step()).isEqualTo(2);

        // the trainer resumes from step 2 (not the damaged step 4) and trains the same pairs again into a new step 4
        assertThat(trainer(c).run()).isEqualTo(StreamingTrainer.Outcome.FINISHED);
        VerifiedCheckpoint again = CheckpointReader.newestGood(dir).orElseThrow();
        assertThat(again.step()).isEqualTo(4);
        assertThat(again.manifest().parentVersion()).isEqualTo(fallback.version());
        assertThat(again.manifest().offsets()).isEqualTo(step4.manifest().offsets());
        assertThat(TrainingLedger.of(dir, again.version()).check()).isEqualTo(16);
        try (DpoTrainer restored = DpoTrainer.restore(again.dir(), Device.cpu(), null)) {
            assertThat(restored.step()).isEqualTo(4);
        }
        // resuming reproduced the original step-4 weights exactly (CPU determinism); only the flipped byte differs
        byte[] redone = Files.readAllBytes(again.dir().resolve("model.safetensors"));
        bytes[bytes.length - 7] ^= 0x10;
        assertThat(redone).isEqualTo(bytes);
    }

    @Test
    void replayFromATimestampReproducesTheOriginalWeightsFromTheSameCheckpoint() throws Exception {
        String topic = PairLog.freshPairsTopic(kafka, 3);
        List<PairLog.Coord> coords = PairLog.produce(kafka.clientConfigWithRegistry(), topic, 3, pairs("r", 48), PairLog.nowBase() + 6_000);
        Path original = tmp.resolve("original");
        StreamingTrainerConfig c = config(topic, original).with(b -> b.stopAtStep = 5);
        assertThat(trainer(c).run()).isEqualTo(StreamingTrainer.Outcome.FINISHED);
        VerifiedCheckpoint start = CheckpointReader.byVersion(original, "step-0000000002");
        VerifiedCheckpoint end = CheckpointReader.byVersion(original, "step-0000000005");

        // the first timestamp not trained into the start checkpoint
        List<TrainingLogEntry> trained = TrainingLedger.of(original, start.version()).entries();
        long lastTrainedTs = trained.stream().mapToLong(e -> coords.stream()
                .filter(x -> x.partition() == e.partition() && x.offset() == e.offset()).findFirst().orElseThrow().timestamp()).max().orElseThrow();

        Path replayDir = tmp.resolve("replay");
        StreamingTrainerConfig rc = config(topic, replayDir).with(b -> {
            b.modelName = c.modelName();
            b.stopAtStep = 5;
        });
        // the replay path with a --config that changes nothing: same settings, same weights
        StreamingTrainer replay = Replay.create(rc, kafka.clientConfigWithRegistry(), TinyDpo.replayFactory(rc, new java.util.Properties()),
                Optional.of(start), StartPositions.fromTimestamp(lastTrainedTs + 1));
        assertThat(replay.run()).isEqualTo(StreamingTrainer.Outcome.FINISHED);
        VerifiedCheckpoint replayed = CheckpointReader.newestGood(replayDir).orElseThrow();

        assertThat(replayed.step()).isEqualTo(5);
        assertThat(replayed.manifest().offsets()).isEqualTo(end.manifest().offsets());
        assertThat(replayed.manifest().files().get("model.safetensors")).isEqualTo(end.manifest().files().get("model.safetensors"));
        assertThat(Files.readAllBytes(replayed.dir().resolve("model.safetensors"))).isEqualTo(Files.readAllBytes(end.dir().resolve("model.safetensors")));
        assertThat(CheckpointReader.byVersion(replayDir, "step-0000000004").manifest().parentVersion()).isEqualTo(start.version());
        Map<String, Double> replayedMetrics = new java.util.HashMap<>(replayed.manifest().metrics());
        Map<String, Double> originalMetrics = new java.util.HashMap<>(end.manifest().metrics());
        replayedMetrics.remove("tokens_per_s"); // wall-clock throughput, the only metric that may differ
        originalMetrics.remove("tokens_per_s");
        assertThat(replayedMetrics).isEqualTo(originalMetrics).containsKey("loss");
        assertThat(replayed.manifest().properties()).doesNotContainKey(DpoPairTrainer.HYPERPARAMETER_OVERRIDES)
                .containsEntry("precision", "FP32");

        // after a hyperparameter change (beta 0.1 -> 0.5): the same pairs, other weights, and the change on record
        java.util.Properties changed = new java.util.Properties();
        changed.setProperty("prefstream.dpo.beta", "0.5");
        Path betaDir = tmp.resolve("replay-beta");
        StreamingTrainerConfig bc = rc.with(b -> b.checkpointsDir = betaDir);
        assertThat(Replay.create(bc, kafka.clientConfigWithRegistry(), TinyDpo.replayFactory(bc, changed), Optional.of(start),
                StartPositions.fromTimestamp(lastTrainedTs + 1)).run()).isEqualTo(StreamingTrainer.Outcome.FINISHED);
        VerifiedCheckpoint withBeta = CheckpointReader.newestGood(betaDir).orElseThrow();
        assertThat(withBeta.step()).isEqualTo(5);
        assertThat(withBeta.manifest().offsets()).isEqualTo(end.manifest().offsets());
        assertThat(Files.readAllBytes(withBeta.dir().resolve("model.safetensors"))).isNotEqualTo(Files.readAllBytes(end.dir().resolve("model.safetensors")));
        assertThat(withBeta.manifest().properties()).containsEntry(DpoPairTrainer.HYPERPARAMETER_OVERRIDES, "dpo.beta: 0.1 -> 0.5");
        try (DpoTrainer restored = DpoTrainer.restore(withBeta.dir(), Device.cpu(), null)) {
            assertThat(restored.config().dpo().beta()).isEqualTo(0.5);
            assertThat(restored.overrides()).extracting(dev.prefstream.trainer.dpo.SettingChange::setting).containsExactly("dpo.beta");
        }
    }

    /** LoRA: a replay from a checkpoint reproduces the original adapters bit for bit (CPU). */
    @Test
    void loraReplayFromATimestampReproducesTheOriginalAdaptersExactly() throws Exception {
        String topic = PairLog.freshPairsTopic(kafka, 3);
        List<PairLog.Coord> coords = PairLog.produce(kafka.clientConfigWithRegistry(), topic, 3, pairs("l", 48), PairLog.nowBase() + 6_000);
        Path original = tmp.resolve("lora-original");
        StreamingTrainerConfig c = config(topic, original).with(b -> b.stopAtStep = 5);
        assertThat(new StreamingTrainer(c, kafka.clientConfigWithRegistry(), TinyDpo.loraFactory(c), StreamingTrainer.resumeFromNewestCheckpoint(c),
                new TrainerMetrics(new SimpleMeterRegistry(), c.modelName(), System::currentTimeMillis), Clock.systemUTC()).run())
                .isEqualTo(StreamingTrainer.Outcome.FINISHED);
        VerifiedCheckpoint start = CheckpointReader.byVersion(original, "step-0000000002");
        VerifiedCheckpoint end = CheckpointReader.byVersion(original, "step-0000000005");
        assertThat(end.manifest().properties()).containsEntry(DpoPairTrainer.FORMAT, DpoPairTrainer.FORMAT_PEFT_LORA);
        long lastTrainedTs = TrainingLedger.of(original, start.version()).entries().stream().mapToLong(e -> coords.stream()
                .filter(x -> x.partition() == e.partition() && x.offset() == e.offset()).findFirst().orElseThrow().timestamp()).max().orElseThrow();

        Path replayDir = tmp.resolve("lora-replay");
        StreamingTrainerConfig rc = config(topic, replayDir).with(b -> {
            b.modelName = c.modelName();
            b.stopAtStep = 5;
        });
        assertThat(Replay.create(rc, kafka.clientConfigWithRegistry(), TinyDpo.replayFactory(rc, new java.util.Properties()),
                Optional.of(start), StartPositions.fromTimestamp(lastTrainedTs + 1)).run()).isEqualTo(StreamingTrainer.Outcome.FINISHED);
        VerifiedCheckpoint replayed = CheckpointReader.newestGood(replayDir).orElseThrow();
        assertThat(replayed.step()).isEqualTo(5);
        assertThat(replayed.manifest().offsets()).isEqualTo(end.manifest().offsets());
        assertThat(Files.readAllBytes(replayed.dir().resolve("adapter_model.safetensors")))
                .isEqualTo(Files.readAllBytes(end.dir().resolve("adapter_model.safetensors")));
        assertThat(Files.readAllBytes(replayed.dir().resolve("trainer-state/base.json")))
                .isEqualTo(Files.readAllBytes(end.dir().resolve("trainer-state/base.json")));
    }

    @Test
    void iterativeDpoRefreshesTheReferenceAtIterationBoundaries() throws Exception {
        String topic = PairLog.freshPairsTopic(kafka, 3);
        PairLog.produce(kafka.clientConfigWithRegistry(), topic, 3, pairs("i", 30), PairLog.nowBase() + 7_000);
        Path dir = tmp.resolve("iterative");
        StreamingTrainerConfig c = config(topic, dir).with(b -> {
            b.stopAtStep = 5;
            b.iterationSteps = 2;
            b.referenceMode = dev.prefstream.trainer.dpo.ReferenceMode.REFRESH;
        });
        assertThat(trainer(c).run()).isEqualTo(StreamingTrainer.Outcome.FINISHED);
        VerifiedCheckpoint s2 = CheckpointReader.byVersion(dir, "step-0000000002");
        VerifiedCheckpoint s4 = CheckpointReader.byVersion(dir, "step-0000000004");
        VerifiedCheckpoint s5 = CheckpointReader.byVersion(dir, "step-0000000005");
        // steps 1-2 are iteration 0 (initial reference), 3-4 iteration 1, 5 iteration 2: a new reference each time
        assertThat(s2.manifest().iteration()).isZero();
        assertThat(s4.manifest().iteration()).isEqualTo(1);
        assertThat(s5.manifest().iteration()).isEqualTo(2);
        assertThat(java.util.Set.of(s2.manifest().referenceVersion(), s4.manifest().referenceVersion(), s5.manifest().referenceVersion())).hasSize(3);
        assertThat(s5.manifest().properties()).containsEntry("reference_mode", "REFRESH").containsEntry("iteration_steps", "2");
    }

    @Test
    void trainsAHuggingFaceGpt2DirectoryAndCheckpointsItInTheSameFormat() throws Exception {
        // another model family from a Hugging Face directory with its own BPE tokenizer (the trainer core's fixture)
        Path hf = tmp.resolve("gpt2-hf");
        Files.createDirectories(hf);
        Path fixture = Path.of(getClass().getResource("/fixtures/gpt2").toURI());
        try (var files = Files.list(fixture.resolve("policy"))) {
            for (Path f : files.toList()) {
                Files.copy(f, hf.resolve(f.getFileName()));
            }
        }
        Files.copy(fixture.resolve("tokenizer.json"), hf.resolve("tokenizer.json"));

        String topic = PairLog.freshPairsTopic(kafka, 3);
        PairLog.produce(kafka.clientConfigWithRegistry(), topic, 3, pairs("g", 24), PairLog.nowBase() + 8_000);
        Path dir = tmp.resolve("gpt2-ckpt");
        StreamingTrainerConfig c = config(topic, dir).with(b -> b.stopAtStep = 3);
        PairTrainerFactory gpt2 = DpoPairTrainer.factory(ModelSource.parse(hf.toString(), 0), TinyDpo.config(), c, Device.cpu());
        StreamingTrainer t = new StreamingTrainer(c, kafka.clientConfigWithRegistry(), gpt2, StreamingTrainer.resumeFromNewestCheckpoint(c),
                new TrainerMetrics(new SimpleMeterRegistry(), c.modelName(), System::currentTimeMillis), Clock.systemUTC());
        assertThat(t.run()).isEqualTo(StreamingTrainer.Outcome.FINISHED);

        VerifiedCheckpoint cp = CheckpointReader.newestGood(dir).orElseThrow();
        assertThat(cp.step()).isEqualTo(3);
        assertThat(Files.readString(cp.dir().resolve("config.json")).replace(" ", "")).contains("\"model_type\":\"gpt2\"");
        assertThat(Files.readAllBytes(cp.dir().resolve("tokenizer.json"))).isEqualTo(Files.readAllBytes(hf.resolve("tokenizer.json")));
        try (LoadedModel m = HfModelLoader.loadWithTokenizer(cp.dir(), Device.cpu())) {
            assertThat(m.model().config().modelType()).isEqualTo("gpt2");
            assertThat(m.tokenizer().encode("hello world")).isNotEmpty();
        }
        assertThat(Files.readAllBytes(cp.dir().resolve("model.safetensors"))).isNotEqualTo(Files.readAllBytes(hf.resolve("model.safetensors")));
    }
}
