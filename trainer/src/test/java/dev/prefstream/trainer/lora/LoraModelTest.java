package dev.prefstream.trainer.lora;

import ai.djl.ndarray.NDArray;
import dev.prefstream.trainer.dpo.TextPair;
import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.tokenizer.TextTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The LoRA forward pass on the transformers fixtures: identity at step 0, on/off switch, merge. */
class LoraModelTest {

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void freshAdaptersGiveExactlyTheBaseLogProbs(String family) {
        List<TextPair> pairs = LoraFixtures.pairs(family);
        try (TextTokenizer tok = LoraFixtures.tokenizer(family)) {
            float[] base;
            try (DecoderModel plain = LoraFixtures.policy(family)) {
                base = LoraFixtures.logps(plain, tok, pairs);
            }
            try (LoraModel lora = LoraModel.wrap(LoraFixtures.policy(family), LoraConfig.ofRank(8), 7)) {
                assertThat(lora.adapters().targets()).hasSize(family.equals("gpt2") ? 4 * 2 : 7 * 2);
                assertThat(LoraFixtures.logps(lora, tok, pairs)).containsExactly(base);
                assertThat(LoraFixtures.logps(lora.reference(), tok, pairs)).containsExactly(base);
                // A is Kaiming-uniform (PEFT: bound 1/sqrt(in)), B zero
                LoraTarget t = lora.adapters().targets().get(0);
                float[] a = lora.parameters().get(t.keyA()).toFloatArray();
                double bound = 1 / Math.sqrt(t.in());
                assertThat(maxAbs(a)).isLessThanOrEqualTo(bound);
                assertThat(maxAbs(a)).isGreaterThan(0.5 * bound);
                assertThat(lora.parameters().get(t.keyB()).toFloatArray()).containsOnly(0f);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void mergedWeightsAreWPlusScaledBAAndGiveTheAdapterModelsLogProbs(String family) {
        List<TextPair> pairs = LoraFixtures.pairs(family);
        LoraConfig config = new LoraConfig(4, 12, 0, List.of());
        try (TextTokenizer tok = LoraFixtures.tokenizer(family);
             LoraModel lora = LoraModel.wrap(LoraFixtures.policy(family), config, 3)) {
            LoraFixtures.randomize(lora.adapters(), 11);
            float[] base = LoraFixtures.logps(lora.reference(), tok, pairs);
            float[] adapted = LoraFixtures.logps(lora, tok, pairs);
            assertThat(adapted).isNotEqualTo(base);
            Map<String, float[]> before = LoraFixtures.snapshot(lora.base().parameters());
            Map<String, float[]> adapters = LoraFixtures.snapshot(lora.parameters());

            lora.adapters().mergeIntoBase(1);

            Map<String, NDArray> after = lora.base().parameters();
            double scale = 12.0 / 4;
            for (LoraTarget t : lora.adapters().targets()) {
                float[] w = before.get(t.weight());
                float[] merged = after.get(t.weight()).toFloatArray();
                float[] a = adapters.get(t.keyA());     // [r, in]
                float[] b = adapters.get(t.keyB());     // [out, r]
                int r = 4;
                for (int o = 0; o < t.out(); o++) {
                    for (int i = 0; i < t.in(); i++) {
                        double ba = 0;
                        for (int k = 0; k < r; k++) {
                            ba += (double) b[o * r + k] * a[k * (int) t.in() + i];
                        }
                        int idx = t.fanInFanOut() ? i * (int) t.out() + o : o * (int) t.in() + i;
                        assertThat((double) merged[idx]).as("%s[%d,%d]", t.weight(), o, i)
                                .isCloseTo(w[idx] + scale * ba, within(1e-6));
                    }
                }
            }
            // untargeted weights are untouched
            before.forEach((k, v) -> {
                if (lora.adapters().targets().stream().noneMatch(t -> t.weight().equals(k))) {
                    assertThat(after.get(k).toFloatArray()).as(k).containsExactly(v);
                }
            });
            // the merged base alone (fresh adapters add zero) computes what base + adapters computed
            float[] merged = LoraFixtures.logps(lora.reference(), tok, pairs);
            for (int i = 0; i < merged.length; i++) {
                assertThat(merged[i]).as("row %d", i).isCloseTo(adapted[i], within(1e-5f * Math.max(1, Math.abs(adapted[i]))));
            }
            assertThat(LoraFixtures.logps(lora, tok, pairs)).containsExactly(merged);
        }
    }

    @Test
    void targetsFollowPeftNamesAndUnknownOnesAreRefused() {
        try (DecoderModel llama = LoraFixtures.policy("llama")) {
            List<LoraTarget> t = LoraTarget.resolve(llama.config(), List.of("q_proj", "v_proj"));
            assertThat(t).extracting(LoraTarget::module).containsExactly(
                    "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
                    "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj");
            assertThat(t.get(0).keyA()).isEqualTo("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
            assertThatThrownBy(() -> LoraTarget.resolve(llama.config(), List.of("c_attn")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'c_attn' matches no projection")
                    .hasMessageContaining("q_proj");
        }
        try (DecoderModel gpt2 = LoraFixtures.policy("gpt2")) {
            List<LoraTarget> t = LoraTarget.resolve(gpt2.config(), LoraConfig.defaultTargets(gpt2.config()));
            assertThat(t).allSatisfy(x -> assertThat(x.fanInFanOut()).isTrue());
            LoraTarget attn = t.get(0);
            assertThat(attn.module()).isEqualTo("transformer.h.0.attn.c_attn");
            assertThat(attn.out()).isEqualTo(3 * attn.in());
        }
    }

    private static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
