package dev.prefstream.publisher;

import ai.djl.Device;
import dev.prefstream.checkpoint.follow.FollowedCheckpoint;
import dev.prefstream.checkpoint.format.CheckpointLayout;
import dev.prefstream.checkpoint.format.CheckpointManifest;
import dev.prefstream.checkpoint.format.CheckpointWriter;
import dev.prefstream.checkpoint.format.VerifiedCheckpoint;
import dev.prefstream.checkpoint.lora.BaseReference;
import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.CheckpointStatus;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.JudgementKind;
import dev.prefstream.schemas.avro.ModelCheckpoint;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.trainer.dpo.DpoConfig;
import dev.prefstream.trainer.dpo.DpoTrainer;
import dev.prefstream.trainer.dpo.LossType;
import dev.prefstream.trainer.dpo.TextPair;
import dev.prefstream.trainer.dpo.TrainerConfig;
import dev.prefstream.trainer.lora.LoraCheckpoints;
import dev.prefstream.trainer.lora.LoraConfig;
import dev.prefstream.trainer.lora.PeftAdapterFiles;
import dev.prefstream.trainer.model.LoadedModel;
import dev.prefstream.trainer.model.ModelPresets;
import dev.prefstream.trainer.stream.DpoPairTrainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * A LoRA checkpoint through the publisher's pieces: evaluated on the initial model with its adapters attached (one
 * model in memory) with the same numbers as base + adapters loaded separately, announced as {@code peft-lora} with
 * its base, exported as a PEFT directory or merged.
 */
class LoraCandidateTest {

    @TempDir
    Path tmp;

    private VerifiedCheckpoint trainLoraCheckpoint(Path root) {
        TrainerConfig config = TrainerConfig.builder().learningRate(5e-3).pairsPerOptimizerStep(4).maxLength(96).maxPromptLength(48)
                .dpo(DpoConfig.of(0.1, LossType.SIGMOID)).lora(LoraConfig.ofRank(4)).build();
        LoadedModel lm = ModelPresets.builtin(ModelPresets.TINY, Device.cpu(), 42);
        try (DpoTrainer t = DpoTrainer.create(lm.model(), lm.tokenizer(), config)) {
            for (int s = 0; s < 3; s++) {
                List<TextPair> batch = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    batch.add(TextPair.of("Q" + (4 * s + i) + "?", " yes, gladly.", " no"));
                }
                t.trainStep(batch);
            }
            CheckpointWriter writer = new CheckpointWriter(root, 3);
            CheckpointManifest draft = new CheckpointManifest(CheckpointManifest.FORMAT_VERSION, "tiny", CheckpointLayout.versionFor(3),
                    null, 3, 0, t.referenceVersion(), 12, Instant.now(), Map.of(), List.of(),
                    Map.of(DpoPairTrainer.FORMAT, DpoPairTrainer.FORMAT_PEFT_LORA), Map.of());
            return writer.write(draft, t::saveState);
        }
    }

    private static List<PreferencePair> heldOut() {
        List<PreferencePair> out = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            out.add(PreferencePair.newBuilder().setPairId("h-" + i).setPromptId("p" + i)
                    .setPrompt(List.of(ChatMessage.newBuilder().setRole("user").setContent("Q" + (100 + i) + "?").build()))
                    .setChosen(" yes, gladly.").setRejected(" no").setScoreMargin(1).setWeight(1)
                    .setSource(FeedbackSource.HUMAN).setKind(JudgementKind.COMPARISON).setEventIds(List.of("e" + i))
                    .setCreatedAt(Instant.EPOCH).build());
        }
        return out;
    }

    @Test
    void loraCandidateIsEvaluatedOnTheInitialModelAndAnnouncedWithItsBase() throws Exception {
        VerifiedCheckpoint cp = trainLoraCheckpoint(tmp.resolve("ckpts"));
        assertThat(cp.dir().resolve(PeftAdapterFiles.CONFIG_FILE)).isRegularFile();
        assertThat(cp.manifest().files()).containsKeys("adapter_model.safetensors", "trainer-state/base.json");
        List<PreferencePair> heldOut = heldOut();
        EvaluationConfig config = EvaluationConfig.defaults();

        CandidateMetrics separate;
        try (CandidateEvaluator other = new CandidateEvaluator(ModelPresets.builtin(ModelPresets.TINY, Device.cpu(), 42), config);
             LoadedModel candidate = LoraCheckpoints.loadCheckpoint(cp.dir(), Device.cpu())) {
            separate = other.evaluate(candidate, heldOut);
        }
        try (CandidateEvaluator evaluator = new CandidateEvaluator(ModelPresets.builtin(ModelPresets.TINY, Device.cpu(), 42), config)) {
            LoadedModel initial = evaluator.initial().own();
            assertThat(evaluator.sharesInitialBase(cp.dir())).as("preset base written by the trainer = initial model").isTrue();
            CandidateMetrics m = evaluator.evaluate(cp.dir(), heldOut);
            assertThat(initial.model().adapters()).as("adapters detached after the evaluation").isNull();
            assertThat(m.heldOutPairs()).isEqualTo(6);
            assertThat(m.rewardMargin()).isCloseTo(separate.rewardMargin(), within(1e-5));
            assertThat(m.accuracy()).isEqualTo(separate.accuracy());
            assertThat(m.kl()).isCloseTo(separate.kl(), within(1e-4));
            assertThat(m.rewardMargin()).isPositive();   // it learned the held-out preference
            // the initial policy itself is unchanged by the attach/detach: a candidate equal to it scores zero
            assertThat(evaluator.evaluate(initial, heldOut).rewardMargin()).isCloseTo(0.0, within(1e-6));
        }

        ModelCheckpoint record = RegistryRecords.of(cp, cp.dir().toUri(), CheckpointStatus.CANDIDATE, null, Map.of());
        BaseReference base = BaseReference.read(cp.dir().resolve("trainer-state/base.json"));
        assertThat(record.getFormat()).isEqualTo("peft-lora");
        assertThat(record.getBaseSha256()).isEqualTo(base.sha256());
        assertThat(Path.of(URI.create(record.getBaseUri()))).isEqualTo(base.dir());
        assertThat(base.dir()).startsWith(tmp.resolve("ckpts").resolve(BaseReference.STORE_DIR));

        FollowedCheckpoint followed = new FollowedCheckpoint(record, cp);
        assertThat(followed.isLora()).isTrue();
        assertThat(followed.baseDir()).contains(base.dir());
        // what Java serving loads from the follower's delivery (the DJL part lives here, not in the checkpoint module):
        // base + adapters, scoring exactly as the candidate loaded above
        try (CandidateEvaluator other = new CandidateEvaluator(ModelPresets.builtin(ModelPresets.TINY, Device.cpu(), 42), config);
             LoadedModel served = FollowedCheckpointLoader.load(followed, Device.cpu())) {
            assertThat(served.model().adapters().config()).isEqualTo(PeftAdapterFiles.readConfig(cp.dir()));
            assertThat(other.evaluate(served, heldOut).rewardMargin()).isCloseTo(separate.rewardMargin(), within(1e-6));
        }
    }

    @Test
    void exportWritesACleanPeftDirectoryOrTheMergedModel() throws Exception {
        VerifiedCheckpoint cp = trainLoraCheckpoint(tmp.resolve("ckpts"));
        Path adapter = tmp.resolve("adapter");
        LoraCheckpoints.export(cp.dir(), adapter, false, Device.cpu());
        try (var files = Files.list(adapter)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList())
                    .containsExactlyInAnyOrder("adapter_config.json", "adapter_model.safetensors", "tokenizer.json",
                            "tokenizer_config.json");
        }
        Path merged = tmp.resolve("merged");
        LoraCheckpoints.export(cp.dir(), merged, true, Device.cpu());
        assertThat(merged.resolve("config.json")).isRegularFile();
        List<PreferencePair> heldOut = heldOut();
        try (CandidateEvaluator evaluator = new CandidateEvaluator(ModelPresets.builtin(ModelPresets.TINY, Device.cpu(), 42),
                EvaluationConfig.defaults())) {
            CandidateMetrics viaAdapters = evaluator.evaluate(cp.dir(), heldOut);
            CandidateMetrics viaMerged = evaluator.evaluate(merged, heldOut);
            assertThat(viaMerged.rewardMargin()).isCloseTo(viaAdapters.rewardMargin(), within(1e-5));
            assertThat(viaMerged.chosenReward()).isCloseTo(viaAdapters.chosenReward(), within(1e-5));
        }
    }
}
