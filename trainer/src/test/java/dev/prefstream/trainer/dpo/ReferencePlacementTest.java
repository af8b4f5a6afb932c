package dev.prefstream.trainer.dpo;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.prefstream.trainer.lora.LoraConfig;
import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.settings.Settings;
import dev.prefstream.trainer.stream.DpoSettings;
import dev.prefstream.trainer.stream.TrainerSettings;
import dev.prefstream.trainer.tokenizer.ByteTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Where the frozen reference's weights are kept ({@link ReferencePlacement}). The staging path (host weights copied
 * into each forward's scope) is exercised here on the CPU by forcing it; on an accelerator it also moves devices.
 */
class ReferencePlacementTest {

    private static TrainerConfig.Builder small() {
        return TrainerConfig.builder().learningRate(5e-3).pairsPerOptimizerStep(8).maxLength(64).maxPromptLength(32);
    }

    private static Map<String, float[]> snapshot(Map<String, NDArray> params) {
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    @Test
    void aStagedReferenceGivesBitIdenticalLogProbsAndLeavesNothingBehind() {
        List<TextPair> pairs = PreferenceTasks.punctuationRule(8, 4);
        CollatedBatch batch = new PairCollator(new ByteTokenizer(), 64, 32, TruncationMode.KEEP_END).collate(pairs);
        try (DecoderModel weights = TrainerStateTest.smallModel(3);
             NDManager scope = NDManager.newBaseManager(Device.cpu())) {
            ReferencePolicy resident = new ReferencePolicy(weights, ReferenceMode.FIXED, 1, 1, 0, false);
            ReferencePolicy staged = new ReferencePolicy(weights, ReferenceMode.FIXED, 1, 1, 0, true);
            Map<String, float[]> before = snapshot(weights.parameters());
            int weightArrays = weights.manager().getManagedArrays().size();
            float[] expected = resident.logps(batch, pairs, scope).toFloatArray();
            for (int i = 0; i < 3; i++) {
                int scopeArrays = scope.getManagedArrays().size();
                float[] got = staged.logps(batch, pairs, scope).toFloatArray();
                assertThat(got).containsExactly(expected);
                // only the [2B] sums arrive in the caller's scope: the staged copy died with the forward's scope
                assertThat(scope.getManagedArrays()).hasSize(scopeArrays + 1);
            }
            assertThat(expected).hasSize(16);
            for (float v : expected) {
                assertThat(v).isFinite().isNegative();
            }
            assertThat(weights.manager().getManagedArrays()).hasSize(weightArrays);
            snapshot(weights.parameters()).forEach((k, v) -> assertThat(v).as(k).containsExactly(before.get(k)));
        }
    }

    @Test
    void hostPlacementTrainsBitIdenticallyAndRestoresWithoutRecordingAHyperparameterChange(@TempDir Path tmp) {
        List<TextPair> data = PreferenceTasks.punctuationRule(24, 3);
        Map<String, float[]> device;
        try (DpoTrainer t = DpoTrainer.create(TrainerStateTest.smallModel(1), new ByteTokenizer(), small().build())) {
            for (int s = 0; s < 3; s++) {
                t.trainStep(data.subList(8 * s, 8 * s + 8));
            }
            device = snapshot(t.policy().parameters());
        }
        try (DpoTrainer t = DpoTrainer.create(TrainerStateTest.smallModel(1), new ByteTokenizer(),
                small().referencePlacement(ReferencePlacement.HOST).build())) {
            for (int s = 0; s < 3; s++) {
                t.trainStep(data.subList(8 * s, 8 * s + 8));
            }
            snapshot(t.policy().parameters()).forEach((k, v) -> assertThat(v).as(k).containsExactly(device.get(k)));
            // on the CPU the host is the training device: the frozen reference can still be lent
            assertThat(t.frozenInitialPolicy()).isPresent();
            t.saveState(tmp.resolve("host"));
        }
        try (DpoTrainer back = DpoTrainer.restore(tmp.resolve("host"), Device.cpu(), new ByteTokenizer(),
                RestoreOptions.overriding(c -> c.toBuilder().referencePlacement(ReferencePlacement.DEVICE).build(),
                        RestoreOptions.OptimizerState.RESTORED))) {
            assertThat(back.config().referencePlacement()).isEqualTo(ReferencePlacement.DEVICE);
            assertThat(back.overrides()).isEmpty();
        }
    }

    @Test
    void theSettingParsesAndRefusesWhatCannotWork() {
        Properties p = new Properties();
        p.setProperty("prefstream.trainer.reference-placement", "host");
        Settings s = TrainerSettings.REGISTRY.read(p);
        assertThat(DpoSettings.apply(TrainerConfig.defaults(), s).referencePlacement()).isEqualTo(ReferencePlacement.HOST);
        assertThat(TrainerConfig.defaults().referencePlacement()).isEqualTo(ReferencePlacement.DEVICE);

        p.setProperty("prefstream.trainer.reference-placement", "gpu");
        assertThatThrownBy(() -> DpoSettings.apply(TrainerConfig.defaults(), TrainerSettings.REGISTRY.read(p)))
                .hasMessageContaining("reference placement 'gpu', expected device or host");

        assertThatThrownBy(() -> small().lora(LoraConfig.ofRank(4)).referencePlacement(ReferencePlacement.HOST).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reference placement host needs full fine-tuning");
        assertThat(ReferencePlacement.HOST.weightsDevice(Device.gpu())).isEqualTo(Device.cpu());
        assertThat(ReferencePlacement.DEVICE.weightsDevice(Device.gpu())).isEqualTo(Device.gpu());
    }
}
