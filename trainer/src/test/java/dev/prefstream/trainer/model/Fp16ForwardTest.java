package dev.prefstream.trainer.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The float16 forward/backward on the CPU (PyTorch 2.7's CPU kernels compute matmul, softmax, layer norm and their
 * gradients in float16): same numbers as float32 up to half-precision rounding, half gradients that agree with the
 * float32 ones, nothing left in the model's manager.
 */
class Fp16ForwardTest {

    /**
     * Tolerance on a SUMMED response log-prob (the fixtures' responses have 4-13 tokens). float16 keeps 11
     * significant bits (relative rounding 2^-11 ~ 4.9e-4 per operation); through a few layers of the tiny fixture
     * models a summed log-prob moves by about 1e-3 (measured: at most 1.0e-3 for GPT-2, 8.7e-4 for Llama), so 2e-2
     * leaves a 20x margin for other CPUs' kernels while a bug (a lost mask, a wrong cast, a float16 softmax over
     * -1e9) moves sums by whole units.
     */
    private static final double SUM_TOLERANCE = 2e-2;

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void fp16LogProbsOfTheFixturesMatchFloat32(String family) {
        List<Fixtures.Example> examples = Fixtures.examples(family);
        double maxDiff = 0;
        try (DecoderModel full = HfModelLoader.load(Fixtures.dir(family).resolve("policy"), Device.cpu());
             DecoderModel half = HfModelLoader.load(Fixtures.dir(family).resolve("policy"), Device.cpu(),
                     DataType.FLOAT16)) {
            assertThat(half.dtype()).isEqualTo(DataType.FLOAT16);
            assertThat(half.parameters().values()).allSatisfy(p -> assertThat(p.getDataType())
                    .isEqualTo(DataType.FLOAT16));
            for (Fixtures.Example e : examples) {
                for (long[] response : List.of(e.chosenIds(), e.rejectedIds())) {
                    double f32 = FixtureLogProbsTest.logProb(full, e.promptIds(), response);
                    double f16 = FixtureLogProbsTest.logProb(half, e.promptIds(), response);
                    assertThat(f16).as("%s summed log-prob", family).isCloseTo(f32, within(SUM_TOLERANCE));
                    maxDiff = Math.max(maxDiff, Math.abs(f16 - f32));
                }
                // and against transformers' float32 numbers
                assertThat(FixtureLogProbsTest.logProb(half, e.promptIds(), e.chosenIds()))
                        .isCloseTo(e.policyChosen(), within(SUM_TOLERANCE));
            }
        }
        // bit-identical sums would mean the "half" model silently computed in float32
        assertThat(maxDiff).as("%s: fp16 differs from fp32 by rounding only", family).isGreaterThan(0);
    }

    @Test
    void toDtypeEqualsLoadingInFloat16AndWidensBackExactly() {
        java.nio.file.Path dir = Fixtures.dir("llama").resolve("policy");
        try (DecoderModel full = HfModelLoader.load(dir, Device.cpu());
             DecoderModel loaded = HfModelLoader.load(dir, Device.cpu(), DataType.FLOAT16);
             DecoderModel converted = full.toDtype(DataType.FLOAT16);
             DecoderModel widened = converted.toDtype(DataType.FLOAT32)) {
            assertThat(converted.dtype()).isEqualTo(DataType.FLOAT16);
            assertThat(widened.dtype()).isEqualTo(DataType.FLOAT32);
            assertThat(full.dtype()).isEqualTo(DataType.FLOAT32); // the original is untouched
            for (Map.Entry<String, NDArray> e : loaded.parameters().entrySet()) {
                float[] a = floats(e.getValue());
                assertThat(Arrays.equals(a, floats(converted.parameters().get(e.getKey())))).as(e.getKey()).isTrue();
                assertThat(Arrays.equals(a, floats(widened.parameters().get(e.getKey())))).as(e.getKey()).isTrue();
            }
            Fixtures.Example e = Fixtures.examples("llama").get(0);
            assertThat(FixtureLogProbsTest.logProb(converted, e.promptIds(), e.chosenIds()))
                    .isEqualTo(FixtureLogProbsTest.logProb(loaded, e.promptIds(), e.chosenIds()));
            try (NDManager scope = converted.manager().newSubManager()) {
                NDArray ids = scope.create(new long[] {1, 2, 3}, new Shape(1, 3));
                assertThat(converted.forward(ids, null).getDataType()).as("logits").isEqualTo(DataType.FLOAT32);
            }
        }
    }

    /**
     * Batched generation (left padding, KV cache appended in float16) on a float16 model picks the same 8 greedy
     * tokens per fixture prompt as float32, with and without the cache. (Exact equality holds for these fixtures,
     * checked; greedy decoding could in principle flip on a near tie of two logits within float16 rounding.)
     */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void fp16GreedyGenerationMatchesFloat32(String family) {
        java.nio.file.Path dir = Fixtures.dir(family).resolve("policy");
        List<long[]> prompts = Fixtures.examples(family).stream().map(Fixtures.Example::promptIds).toList();
        try (DecoderModel full = HfModelLoader.load(dir, Device.cpu());
             DecoderModel half = full.toDtype(DataType.FLOAT16)) {
            List<Generation> f32 = new Generator(full, -1).generate(prompts, GenerationConfig.greedy(8));
            List<Generation> f16 = new Generator(half, -1).generate(prompts, GenerationConfig.greedy(8));
            List<Generation> f16NoCache = new Generator(half, -1).generate(prompts,
                    GenerationConfig.greedy(8).withCache(false));
            for (int i = 0; i < prompts.size(); i++) {
                assertThat(f16.get(i).tokens()).as("%s prompt %d, cached", family, i)
                        .containsExactly(f32.get(i).tokens());
                assertThat(f16NoCache.get(i).tokens()).as("%s prompt %d, recomputed", family, i)
                        .containsExactly(f32.get(i).tokens());
            }
        }
    }

    @Test
    void bfloat16IsRefusedWithTheReasonBeforeAnyCast() {
        java.nio.file.Path dir = Fixtures.dir("gpt2").resolve("policy");
        try (DecoderModel full = HfModelLoader.load(dir, Device.cpu())) {
            assertThatThrownBy(() -> full.toDtype(DataType.BFLOAT16)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("bfloat16").hasMessageContaining("aborts");
            assertThatThrownBy(() -> full.toDtype(DataType.INT32)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("float32 or float16");
        }
        assertThatThrownBy(() -> HfModelLoader.load(dir, Device.cpu(), DataType.BFLOAT16))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bfloat16");
    }

    /**
     * Backward in float16 through every float32 island (RMSNorm statistics, attention softmax, logits): the
     * gradients are float16 and point the same way as the float32 gradients of the same weights. A cast that cut
     * the graph would fail backward or zero whole tensors (e.g. everything below a norm).
     */
    @ParameterizedTest
    @ValueSource(strings = {ModelPresets.TINY, ModelPresets.TINY_GPT2})
    void fp16GradientsAgreeWithFloat32AndNothingLeaksIntoTheModel(String preset) {
        try (LoadedModel lm = ModelPresets.builtin(preset, Device.cpu(), 11);
             DecoderModel half = lm.model().toDtype(DataType.FLOAT16);
             DecoderModel full = half.toDtype(DataType.FLOAT32)) {  // the same (half-representable) weights
            Map<String, float[]> g16 = gradients(half);
            Map<String, float[]> g32 = gradients(full);
            assertThat(half.parameters().values()).allSatisfy(p -> assertThat(p.getGradient().getDataType())
                    .isEqualTo(DataType.FLOAT16));
            double dot = 0;
            double n16 = 0;
            double n32 = 0;
            for (Map.Entry<String, float[]> e : g32.entrySet()) {
                float[] a = g16.get(e.getKey());
                float[] b = e.getValue();
                double tensorNorm = 0;
                for (int i = 0; i < a.length; i++) {
                    assertThat(Float.isFinite(a[i])).as("%s finite", e.getKey()).isTrue();
                    dot += (double) a[i] * b[i];
                    n16 += (double) a[i] * a[i];
                    n32 += (double) b[i] * b[i];
                    tensorNorm += (double) a[i] * a[i];
                }
                assertThat(tensorNorm).as("%s has a gradient", e.getKey()).isGreaterThan(0);
            }
            double cosine = dot / Math.sqrt(n16 * n32);
            // measured: cosine 0.9999995, norm ratio 1 +- 1e-4 (tiny and tiny-gpt2); 10x margins
            assertThat(cosine).as("%s cosine(fp16 grad, fp32 grad)", preset).isGreaterThan(0.99999);
            assertThat(Math.sqrt(n16 / n32)).as("%s norm ratio", preset).isCloseTo(1.0, within(1e-3));
        }
    }

    /** Gradient of a masked log-likelihood over a padded batch of two rows, as float32 host arrays. */
    private static Map<String, float[]> gradients(DecoderModel model) {
        model.setTrainable(true);
        int before = model.manager().getManagedArrays().size();
        Random random = new Random(3);
        long[] ids = new long[2 * 24];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = random.nextInt(256);
        }
        long[] mask = new long[ids.length];
        Arrays.fill(mask, 1);
        Arrays.fill(mask, 24 + 17, 48, 0); // second row right-padded
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDManager scope = model.manager().newSubManager()) {
            NDArray input = scope.create(ids, new Shape(2, 24));
            NDArray attention = scope.create(mask, new Shape(2, 24));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray logits = model.forward(input, attention);
                gc.backward(SequenceLogProbs.sumLogProbs(logits, input, attention).neg().mean());
            }
            for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                NDArray g = e.getValue().getGradient();
                g.attach(scope);
                out.put(e.getKey(), g.toType(DataType.FLOAT32, false).toFloatArray());
            }
        }
        assertThat(model.manager().getManagedArrays()).as("arrays in the model's manager").hasSize(before);
        return out;
    }

    private static float[] floats(NDArray a) {
        try (NDArray f = a.toType(DataType.FLOAT32, true)) {
            return f.toFloatArray();
        }
    }
}
