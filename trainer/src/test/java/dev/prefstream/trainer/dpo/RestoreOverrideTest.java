package dev.prefstream.trainer.dpo;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import dev.prefstream.trainer.optim.LrSchedule;
import dev.prefstream.trainer.tokenizer.ByteTokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Restoring a checkpoint with other hyperparameters (replay after a hyperparameter change). */
class RestoreOverrideTest {

    @TempDir
    static Path tmp;
    static Path ckpt;
    static final List<TextPair> DATA = PreferenceTasks.punctuationRule(24, 3);
    static final TrainerConfig CONFIG = TrainerConfig.builder().learningRate(5e-3).pairsPerOptimizerStep(8).maxLength(64)
            .maxPromptLength(32).schedule(LrSchedule.Kind.CONSTANT).referenceCacheSize(100)
            .dpo(DpoConfig.of(0.1, LossType.SIGMOID)).build();

    @BeforeAll
    static void saveAfterTwoSteps() {
        ckpt = tmp.resolve("ckpt");
        try (DpoTrainer t = DpoTrainer.create(TrainerStateTest.smallModel(3), new ByteTokenizer(), CONFIG)) {
            t.trainStep(DATA.subList(0, 8));
            t.trainStep(DATA.subList(8, 16));
            t.saveState(ckpt);
        }
    }

    private static float[] weightsAfterOneMoreStep(RestoreOptions options) {
        try (DpoTrainer t = DpoTrainer.restore(ckpt, Device.cpu(), new ByteTokenizer(), options)) {
            t.trainStep(DATA.subList(16, 24));
            return t.policy().parameters().values().stream().map(NDArray::toFloatArray)
                    .reduce(new float[0], RestoreOverrideTest::concat);
        }
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void aChangedBetaTrainsDifferentlyIsRecordedAndSavedWhileTheSameSettingsStayExact() {
        float[] exact = weightsAfterOneMoreStep(RestoreOptions.exact());
        float[] identity = weightsAfterOneMoreStep(RestoreOptions.overriding(c -> c.toBuilder().build(),
                RestoreOptions.OptimizerState.RESTORED));
        assertThat(identity).containsExactly(exact);

        RestoreOptions beta = RestoreOptions.overriding(c -> c.toBuilder().dpo(DpoConfig.of(0.5, LossType.SIGMOID))
                .learningRate(1e-2).build(), RestoreOptions.OptimizerState.RESTORED);
        assertThat(weightsAfterOneMoreStep(beta)).isNotEqualTo(exact);
        try (DpoTrainer t = DpoTrainer.restore(ckpt, Device.cpu(), new ByteTokenizer(), beta)) {
            assertThat(t.step()).isEqualTo(2);
            assertThat(t.config().dpo().beta()).isEqualTo(0.5);
            assertThat(t.nextLearningRate()).isEqualTo(1e-2);
            assertThat(t.overrides()).containsExactly(new SettingChange("learningRate", "0.005", "0.01"),
                    new SettingChange("dpo.beta", "0.1", "0.5"));
            t.trainStep(DATA.subList(16, 24));
            t.saveState(tmp.resolve("after"));
        }
        // the replayed lineage keeps the new values and the record of the change across an exact resume
        try (DpoTrainer again = DpoTrainer.restore(tmp.resolve("after"), Device.cpu(), new ByteTokenizer())) {
            assertThat(again.step()).isEqualTo(3);
            assertThat(again.config().dpo().beta()).isEqualTo(0.5);
            assertThat(SettingChange.describe(again.overrides())).isEqualTo("learningRate: 0.005 -> 0.01; dpo.beta: 0.1 -> 0.5");
        }
    }

    @Test
    void aFreshOptimizerStartsFromZeroMomentsButKeepsWeightsAndStep() {
        try (DpoTrainer restored = DpoTrainer.restore(ckpt, Device.cpu(), new ByteTokenizer(), RestoreOptions.exact());
             DpoTrainer fresh = DpoTrainer.restore(ckpt, Device.cpu(), new ByteTokenizer(),
                     RestoreOptions.overriding(c -> c, RestoreOptions.OptimizerState.FRESH))) {
            assertThat(fresh.step()).isEqualTo(2);
            assertThat(fresh.optimizer().step()).isZero();
            assertThat(restored.optimizer().step()).isEqualTo(2);
            Map.Entry<String, NDArray> m = fresh.optimizer().firstMoments().entrySet().iterator().next();
            assertThat(m.getValue().abs().sum().getFloat()).isZero();
            assertThat(restored.optimizer().firstMoments().get(m.getKey()).abs().sum().getFloat()).isPositive();
            String w = fresh.policy().parameters().keySet().iterator().next();
            assertThat(fresh.policy().parameters().get(w).toFloatArray())
                    .containsExactly(restored.policy().parameters().get(w).toFloatArray());
            assertThat(fresh.overrides()).containsExactly(new SettingChange("optimizerState", "restored", "fresh"));
        }
    }

    @Test
    void aPrecisionChangeIsRefusedWithAClearError() {
        assertThatThrownBy(() -> DpoTrainer.restore(ckpt, Device.cpu(), new ByteTokenizer(), RestoreOptions.overriding(
                c -> c.toBuilder().precision(Precision.FP16).build(), RestoreOptions.OptimizerState.RESTORED)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("precision cannot change on restore").hasMessageContaining("FP32")
                .hasMessageContaining("--initial " + ckpt);
    }

    @Test
    void aMaxLengthBeyondTheCheckpointsPositionsIsFittedToThem() {
        try (DpoTrainer t = DpoTrainer.restore(ckpt, Device.cpu(), new ByteTokenizer(), RestoreOptions.overriding(
                c -> c.toBuilder().maxLength(4096).maxPromptLength(1024).build(),
                RestoreOptions.OptimizerState.RESTORED))) {
            assertThat(t.config().maxLength()).isEqualTo(128);
            assertThat(t.config().maxPromptLength()).isEqualTo(32);   // 1024 x 128 / 4096
            assertThat(t.overrides()).contains(new SettingChange("maxLength", "64", "128"));
        }
    }

    /**
     * TRL's default max length (1024) against a model with 128 positions: creation fits it, so the saved state
     * restores on the same model (it used to be refused, which stopped a streaming trainer from resuming).
     */
    @Test
    void theDefaultMaxLengthOnAShortContextModelTrainsSavesAndRestores() {
        TrainerConfig defaults = TrainerConfig.builder().learningRate(5e-3).pairsPerOptimizerStep(8).build();
        assertThat(defaults.maxLength()).isGreaterThan(128);
        Path dir = tmp.resolve("defaults");
        float[] afterSave;
        try (DpoTrainer t = DpoTrainer.create(TrainerStateTest.smallModel(4), new ByteTokenizer(), defaults)) {
            assertThat(t.config().maxLength()).isEqualTo(128);
            assertThat(t.config().maxPromptLength()).isEqualTo(64);
            t.trainStep(DATA.subList(0, 8));
            t.saveState(dir);
            afterSave = t.policy().parameters().values().iterator().next().toFloatArray();
        }
        try (DpoTrainer restored = DpoTrainer.restore(dir, Device.cpu(), new ByteTokenizer())) {
            assertThat(restored.step()).isEqualTo(1);
            assertThat(restored.config().maxLength()).isEqualTo(128);
            assertThat(restored.overrides()).isEmpty();
            assertThat(restored.policy().parameters().values().iterator().next().toFloatArray())
                    .containsExactly(afterSave);
        }
    }
}
