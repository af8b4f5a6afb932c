package dev.prefstream.trainer.dpo;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import dev.prefstream.trainer.lora.LoraConfig;
import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.model.HfModelLoader;
import dev.prefstream.trainer.tokenizer.HfTokenizer;
import dev.prefstream.trainer.tokenizer.TextTokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Gradient checkpointing (blocks recomputed in backward) trains exactly like the plain path on the transformers
 * fixtures: after each of 3 AdamW steps (two micro-batches each, so gradients accumulate across recomputed
 * backward passes) the loss and gradient norm agree, and afterwards every weight and both AdamW moments (the first
 * moment after step 1 is 0.1 x the gradient) agree within 1e-6. The same with LoRA adapters (base frozen).
 */
class GradientCheckpointingTest {

    @ParameterizedTest(name = "{0}, LoRA rank {1}")
    @CsvSource({"gpt2, 0", "llama, 0", "gpt2, 4", "llama, 4"})
    void sameGradientsAndWeightsAfterThreeAdamWSteps(String family, int loraRank) {
        FixtureLogps f = FixtureLogps.load(family);
        List<TextPair> pairs = FixtureStepTest.pairs(f.root());
        // with LoRA the trainable tensors (compared below) are the adapters, and the recomputed blocks must apply them
        LoraConfig lora = loraRank == 0 ? LoraConfig.none() : new LoraConfig(loraRank, 2 * loraRank, 0, List.of());
        Run plain = train(family, f, pairs, false, lora);
        Run checkpointed = train(family, f, pairs, true, lora);
        for (int s = 0; s < plain.metrics.size(); s++) {
            StepMetrics p = plain.metrics.get(s);
            StepMetrics c = checkpointed.metrics.get(s);
            assertThat(c.loss()).as("step %d loss", s + 1).isCloseTo(p.loss(), within(1e-6));
            assertThat(c.gradNorm()).as("step %d grad norm", s + 1).isCloseTo(p.gradNorm(), within(1e-6 * p.gradNorm()));
        }
        ChunkedLogProbsTest.assertSameGradients(plain.firstMomentsAfterStep1, checkpointed.firstMomentsAfterStep1,
                family + " first moments after step 1 (0.1 x gradient)");
        assertClose(plain.weights, checkpointed.weights, family + " weights after 3 steps");
        assertClose(plain.secondMoments, checkpointed.secondMoments, family + " second moments after 3 steps");
    }

    private record Run(List<StepMetrics> metrics, Map<String, float[]> firstMomentsAfterStep1,
                       Map<String, float[]> weights, Map<String, float[]> secondMoments) {
    }

    private static Run train(String family, FixtureLogps f, List<TextPair> pairs, boolean checkpointing,
                             LoraConfig lora) {
        Path dir = FixtureStepTest.familyDir(family);
        DecoderModel policy = HfModelLoader.load(dir.resolve("policy"), Device.cpu());
        DecoderModel reference = HfModelLoader.load(dir.resolve("reference"), Device.cpu());
        TextTokenizer tokenizer = HfTokenizer.load(dir, f.root().get("eos_token_id").asInt());
        TrainerConfig config = TrainerConfig.builder().learningRate(1e-3).clipNorm(1.0).pairsPerOptimizerStep(4)
                .gradientAccumulation(2).maxLength(512).maxPromptLength(256).dpo(DpoConfig.of(f.beta(), LossType.SIGMOID))
                .gradientCheckpointing(checkpointing).lora(lora).build();
        try (DpoTrainer trainer = DpoTrainer.create(policy, reference, tokenizer, config)) {
            assertThat(trainer.recomputesBlocks()).as("blocks recomputed").isEqualTo(checkpointing);
            List<StepMetrics> metrics = new java.util.ArrayList<>();
            Map<String, float[]> m1 = null;
            for (int s = 0; s < 3; s++) {
                metrics.add(trainer.trainStep(pairs));
                if (s == 0) {
                    m1 = host(trainer.optimizer().firstMoments());
                }
            }
            return new Run(metrics, m1, host(trainer.policy().parameters()),
                    host(trainer.optimizer().secondMoments()));
        }
    }

    private static Map<String, float[]> host(Map<String, NDArray> arrays) {
        Map<String, float[]> out = new LinkedHashMap<>();
        arrays.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    private static void assertClose(Map<String, float[]> expected, Map<String, float[]> actual, String what) {
        assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
        double worst = 0;
        for (Map.Entry<String, float[]> e : expected.entrySet()) {
            float[] want = e.getValue();
            float[] got = actual.get(e.getKey());
            for (int i = 0; i < want.length; i++) {
                worst = Math.max(worst, Math.abs(got[i] - want[i]));
            }
        }
        assertThat(worst).as(what).isLessThanOrEqualTo(1e-6);
    }
}
