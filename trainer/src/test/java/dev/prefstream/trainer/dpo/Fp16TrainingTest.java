package dev.prefstream.trainer.dpo;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.model.LoadedModel;
import dev.prefstream.trainer.model.ModelPresets;
import dev.prefstream.trainer.optim.DynamicLossScaler;
import dev.prefstream.trainer.tokenizer.ByteTokenizer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * FP16 mixed precision, exercised on the CPU through the trainer's test-only override (production refuses fp16
 * off the GPU): float16 weights forward and backward, float32 master weights in AdamW, dynamic loss scaling,
 * overflowing steps skipped with the scale backing off, exact save/restore.
 */
class Fp16TrainingTest {

    /** Steps of the tiny-preset run (about 1 s each in float16 on a loaded 2-core CPU). */
    private static final int STEPS = 4;

    @AfterEach
    void resetOverride() {
        DpoTrainer.allowFp16OnCpuForTests = false;
    }

    private static TrainerConfig.Builder fp16() {
        return TrainerConfig.builder().precision(Precision.FP16).learningRate(2e-3).pairsPerOptimizerStep(8).gradientAccumulation(2)
                .maxLength(64).maxPromptLength(32).clipNorm(1.0);
    }

    private static DecoderModel halfSmallModel(long seed) {
        try (DecoderModel full = TrainerStateTest.smallModel(seed)) {
            return full.toDtype(DataType.FLOAT16);
        }
    }

    @Test
    void productionRefusesFp16OnTheCpuAndHalfPrecisionNeedsHalfWeights() {
        TrainerConfig config = fp16().build();
        try (DecoderModel half = halfSmallModel(1)) {
            assertThatThrownBy(() -> DpoTrainer.create(half, new ByteTokenizer(), config))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("GPU only")
                    .hasMessageContaining("fp32");
        }
        DpoTrainer.allowFp16OnCpuForTests = true;
        try (DecoderModel full = TrainerStateTest.smallModel(1)) {
            assertThatThrownBy(() -> DpoTrainer.create(full, new ByteTokenizer(), config))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("FLOAT16")
                    .hasMessageContaining("toDtype");
        }
        try (DecoderModel half = halfSmallModel(1)) {
            assertThatThrownBy(() -> DpoTrainer.create(half, new ByteTokenizer(), fp16().precision(Precision.FP32)
                    .build())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("float16");
        }
    }

    /**
     * A few fp16 steps on the tiny preset (4 layers, hidden 128) lower the DPO loss like the same steps in float32
     * from the same weights, and leave float16 weights that are exactly the rounded float32 masters.
     */
    @Test
    void fp16StepsOnTheTinyPresetLowerTheLossAndKeepFloat32Masters() {
        DpoTrainer.allowFp16OnCpuForTests = true;
        List<TextPair> batch = PreferenceTasks.punctuationRule(4, 21);
        TrainerConfig config = fp16().learningRate(3e-3).pairsPerOptimizerStep(4).gradientAccumulation(1).build();
        DecoderModel half;
        DecoderModel full;
        try (LoadedModel lm = ModelPresets.builtin(ModelPresets.TINY, Device.cpu(), 21)) {
            half = lm.model().toDtype(DataType.FLOAT16);
            full = half.toDtype(DataType.FLOAT32); // the same, half-representable, weights
        }
        double[] fp32Losses = new double[STEPS];
        double fp32After;
        try (DpoTrainer t = DpoTrainer.create(full, new ByteTokenizer(), config.toBuilder().precision(Precision.FP32)
                .build())) {
            for (int s = 0; s < STEPS; s++) {
                fp32Losses[s] = t.trainStep(batch).loss();
            }
            fp32After = t.evaluate(batch).loss();
        }
        try (DpoTrainer t = DpoTrainer.create(half, new ByteTokenizer(), config)) {
            int modelArrays = t.policy().manager().getManagedArrays().size();
            double before = t.evaluate(batch).loss();
            List<StepMetrics> steps = new java.util.ArrayList<>();
            for (int s = 0; s < STEPS; s++) {
                steps.add(t.trainStep(batch));
            }
            double after = t.evaluate(batch).loss();
            assertThat(t.policy().manager().getManagedArrays()).as("arrays in the policy's manager")
                    .hasSize(modelArrays);
            // no gradient of this model comes near 65504 / 2^16 ~ 1, so the default scale never overflows and
            // never grows (growth needs 2000 good steps)
            assertThat(steps).noneMatch(StepMetrics::skipped);
            assertThat(t.lossScaler().scale()).isEqualTo(65536.0);
            assertThat(t.optimizer().step()).isEqualTo(STEPS);
            assertThat(before).isCloseTo(Math.log(2), within(1e-6)); // reference == policy: every reward is 0
            // measured: 0.693 -> 0.444, and every fp16 loss within 2e-4 of the float32 run's
            assertThat(after).as("DPO loss after fp16 steps").isLessThan(before - 0.1);
            for (int s = 0; s < STEPS; s++) {
                assertThat(steps.get(s).gradNorm()).isFinite().isPositive();
                assertThat(steps.get(s).loss()).as("step %d loss vs fp32", s).isCloseTo(fp32Losses[s], within(5e-3));
            }
            assertThat(after).as("eval loss vs fp32").isCloseTo(fp32After, within(5e-3));

            Map<String, NDArray> masters = t.optimizer().masterWeights();
            assertThat(masters.keySet()).isEqualTo(t.policy().parameters().keySet());
            for (Map.Entry<String, NDArray> e : t.policy().parameters().entrySet()) {
                NDArray master = masters.get(e.getKey());
                assertThat(e.getValue().getDataType()).as(e.getKey()).isEqualTo(DataType.FLOAT16);
                assertThat(master.getDataType()).as("master " + e.getKey()).isEqualTo(DataType.FLOAT32);
                assertThat(t.optimizer().firstMoments().get(e.getKey()).getDataType()).isEqualTo(DataType.FLOAT32);
                // the model's float16 weights are exactly the rounded masters
                try (NDArray rounded = master.toType(DataType.FLOAT16, false)) {
                    assertThat(Arrays.equals(floats(rounded), floats(e.getValue()))).as(e.getKey()).isTrue();
                }
            }
            assertThat(t.reference().model().parameters().values())
                    .allSatisfy(p -> assertThat(p.getDataType()).isEqualTo(DataType.FLOAT16));
        }
    }

    /**
     * Inf gradients injected the way they arise: a loss scale of 2^100 is finite in float32 but makes every
     * float16 gradient overflow to inf. The step must change nothing (weights, masters, moments, optimizer step)
     * and halve the scale; with a sane scale the next step applies.
     */
    @Test
    void aStepWithInfGradientsIsSkippedAndTheScaleHalves() {
        DpoTrainer.allowFp16OnCpuForTests = true;
        List<TextPair> batch = PreferenceTasks.punctuationRule(8, 22);
        try (DpoTrainer t = DpoTrainer.create(halfSmallModel(2), new ByteTokenizer(), fp16().build())) {
            DynamicLossScaler scaler = t.lossScaler();
            Map<String, float[]> weights0 = snapshot(t.policy().parameters());
            Map<String, float[]> masters0 = snapshot(t.optimizer().masterWeights());

            scaler.restore(0x1p100, 0, 0);
            StepMetrics overflow = t.trainStep(batch);
            assertThat(overflow.skipped()).isTrue();
            assertThat(scaler.scale()).isEqualTo(0x1p99);
            assertThat(scaler.skippedSteps()).isEqualTo(1);
            assertThat(t.optimizer().step()).isZero();
            assertSame(snapshot(t.policy().parameters()), weights0, "weight");
            assertSame(snapshot(t.optimizer().masterWeights()), masters0, "master");
            assertThat(snapshot(t.optimizer().secondMoments()).values())
                    .allSatisfy(v -> assertThat(v).containsOnly(0f));
            assertThat(overflow.loss()).as("the loss itself was finite").isFinite();

            scaler.restore(1024, 0, 0);
            StepMetrics good = t.trainStep(batch);
            assertThat(good.skipped()).isFalse();
            assertThat(scaler.scale()).isEqualTo(1024);
            assertThat(scaler.goodSteps()).isEqualTo(1);
            assertThat(t.optimizer().step()).isEqualTo(1);
            assertThat(good.gradNorm()).isFinite().isPositive();
            String name = "model.layers.0.mlp.up_proj.weight";
            assertThat(Arrays.equals(floats(t.optimizer().masterWeights().get(name)), masters0.get(name)))
                    .as("masters moved").isFalse();
        }
    }

    @Test
    void fp16SaveRestoreContinuesBitIdentically(@TempDir Path tmp) {
        DpoTrainer.allowFp16OnCpuForTests = true;
        TrainerConfig config = fp16().referenceMode(ReferenceMode.TR_DPO).trAlpha(0.5).trEverySteps(2).build();
        List<TextPair> data = PreferenceTasks.punctuationRule(32, 23);
        Map<String, float[]> uninterrupted;
        Map<String, float[]> uninterruptedMasters;
        Map<String, float[]> uninterruptedRef;
        double scale;
        try (DpoTrainer a = DpoTrainer.create(halfSmallModel(3), new ByteTokenizer(), config)) {
            a.lossScaler().restore(4096, 0, 0);
            for (int s = 0; s < 2; s++) {
                a.trainStep(data.subList(8 * s, 8 * s + 8));
            }
            a.saveState(tmp.resolve("ckpt"));
            for (int s = 2; s < 4; s++) {
                a.trainStep(data.subList(8 * s, 8 * s + 8));
            }
            uninterrupted = snapshot(a.policy().parameters());
            uninterruptedMasters = snapshot(a.optimizer().masterWeights());
            uninterruptedRef = snapshot(a.reference().model().parameters());
            scale = a.lossScaler().scale();
        }
        try (DpoTrainer b = DpoTrainer.restore(tmp.resolve("ckpt"), Device.cpu(), new ByteTokenizer())) {
            assertThat(b.config().precision()).isEqualTo(Precision.FP16);
            assertThat(b.policy().parameters().values())
                    .allSatisfy(p -> assertThat(p.getDataType()).isEqualTo(DataType.FLOAT16));
            assertThat(b.reference().model().parameters().values())
                    .allSatisfy(p -> assertThat(p.getDataType()).isEqualTo(DataType.FLOAT16));
            assertThat(b.lossScaler().scale()).isEqualTo(4096);
            for (int s = 2; s < 4; s++) {
                b.trainStep(data.subList(8 * s, 8 * s + 8));
            }
            assertSame(snapshot(b.policy().parameters()), uninterrupted, "weight");
            assertSame(snapshot(b.optimizer().masterWeights()), uninterruptedMasters, "master");
            assertSame(snapshot(b.reference().model().parameters()), uninterruptedRef, "reference");
            assertThat(b.lossScaler().scale()).isEqualTo(scale);
        }
    }

    @Test
    void benchmarkRunsInFp16FromAFloat32Model() {
        try (LoadedModel lm = ModelPresets.builtin(ModelPresets.TINY, Device.cpu(), 5)) {
            assertThatThrownBy(() -> TrainBenchmark.run(lm.model().copy(lm.model().manager()), new ByteTokenizer(),
                    2, 16, 1, 0, Precision.FP16)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("GPU only");
            long params = lm.model().parameterCount();
            DpoTrainer.allowFp16OnCpuForTests = true;
            TrainBenchmark.Result r = TrainBenchmark.run(lm.model().copy(lm.model().manager()), new ByteTokenizer(),
                    2, 16, 2, 0, Precision.FP16);
            assertThat(r.params()).isEqualTo(params);
            assertThat(r.steps()).isEqualTo(2);
            assertThat(r.tokensPerS()).isPositive();
        }
    }

    private static void assertSame(Map<String, float[]> actual, Map<String, float[]> expected, String what) {
        assertThat(actual.keySet()).isEqualTo(expected.keySet());
        actual.forEach((k, v) -> assertThat(Arrays.equals(v, expected.get(k))).as("%s %s", what, k).isTrue());
    }

    private static Map<String, float[]> snapshot(Map<String, NDArray> arrays) {
        Map<String, float[]> out = new LinkedHashMap<>();
        arrays.forEach((k, v) -> out.put(k, floats(v)));
        return out;
    }

    private static float[] floats(NDArray a) {
        try (NDArray f = a.toType(DataType.FLOAT32, true)) {
            return f.toFloatArray();
        }
    }
}
