package dev.prefstream.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Qwen3: a tiny random checkpoint written as a Hugging Face directory (config.json as Qwen3 ships it,
 * model.safetensors from our writer) loads, its per-head q/k RMSNorm takes part (before RoPE, over an explicit
 * head_dim that differs from hidden / heads), and the logits match an independent plain-Java forward pass.
 * The checks every family shares (float16, gradients and cached decoding, padding, missing tensors, save and load)
 * run in {@link FamilyContractTest}.
 */
class Qwen3Test {

    private static final String CONFIG = """
            {
              "architectures": ["Qwen3ForCausalLM"],
              "model_type": "qwen3",
              "vocab_size": 40,
              "hidden_size": 16,
              "num_hidden_layers": %d,
              "num_attention_heads": 4,
              "num_key_value_heads": 2,
              "head_dim": 8,
              "intermediate_size": 24,
              "max_position_embeddings": 32,
              "rms_norm_eps": 1e-06,
              "rope_theta": 1000000,
              "rope_scaling": null,
              "hidden_act": "silu",
              "attention_bias": false,
              "attention_dropout": 0.0,
              "use_sliding_window": false,
              "sliding_window": null,
              "max_window_layers": 28,
              "tie_word_embeddings": true,
              "torch_dtype": "float32",
              "bos_token_id": 2,
              "eos_token_id": 3
            }""";

    @TempDir
    Path tmp;

    /** The config.json of a {@code layers}-layer checkpoint. */
    static String config(int layers) {
        return CONFIG.formatted(layers);
    }

    /** Writes config.json and model.safetensors with random weights (norm weights 1 + N(0, 0.3)). */
    private Path checkpoint(String name, int layers, long seed) throws IOException {
        return RandomWeights.checkpoint(tmp.resolve(name), CONFIG.formatted(layers), seed, 0.3, 0f);
    }

    @Test
    void configAndLayoutHaveTheQkNormsAndTheExplicitHeadDim() {
        ModelConfig c = ModelConfig.parse(CONFIG.formatted(2), "config.json");
        assertThat(c.qkNorm()).isTrue();
        assertThat(c.headDim()).isEqualTo(8);                  // not 16 / 4
        assertThat(c.qkvBias()).isFalse();
        assertThat(c.outputBias()).isFalse();
        assertThat(c.slidingWindow()).isNull();
        Map<String, Shape> layout = WeightLayout.of(c);
        assertThat(layout).containsEntry("model.layers.1.self_attn.q_norm.weight", new Shape(8))
                .containsEntry("model.layers.1.self_attn.k_norm.weight", new Shape(8))
                .containsEntry("model.layers.0.self_attn.q_proj.weight", new Shape(32, 16))
                .containsEntry("model.layers.0.self_attn.k_proj.weight", new Shape(16, 16))
                .containsEntry("model.layers.0.self_attn.o_proj.weight", new Shape(16, 32))
                .doesNotContainKey("lm_head.weight");
        // Qwen3Config's defaults: head_dim 128 when absent; attention_bias puts biases on q, k, v and o
        ModelConfig defaults = ModelConfig.parse("""
                {"model_type": "qwen3", "vocab_size": 40, "hidden_size": 16, "num_hidden_layers": 1,
                 "num_attention_heads": 2, "intermediate_size": 24, "max_position_embeddings": 32,
                 "attention_bias": true}""", "config.json");
        assertThat(defaults.headDim()).isEqualTo(128);
        assertThat(WeightLayout.of(defaults)).containsKeys("model.layers.0.self_attn.o_proj.bias",
                "model.layers.0.self_attn.q_proj.bias", "lm_head.weight");
    }

    @Test
    void logitsMatchAnIndependentForwardPass() throws IOException {
        Path dir = checkpoint("one-layer", 1, 5);
        long[] ids = {7, 1, 38, 20, 20, 9};
        try (DecoderModel model = HfModelLoader.load(dir, Device.cpu());
             NDManager m = NDManager.newBaseManager(Device.cpu())) {
            float[] actual = model.forward(m.create(ids, new Shape(1, ids.length)), null).toFloatArray();
            double[] expected = referenceForward(model.config(), model.parameters(), ids);
            double worst = 0;
            for (int i = 0; i < expected.length; i++) {
                worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
            }
            assertThat(worst).isLessThan(1e-4);
        }
    }

    @Test
    void qkNormsChangeTheOutputAndMakeAttentionScaleInvariant() throws IOException {
        Path dir = checkpoint("two-layers", 2, 8);
        try (DecoderModel model = HfModelLoader.load(dir, Device.cpu());
             NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray input = m.create(new long[] {3, 11, 25, 4, 17, 30, 2}, new Shape(1, 7));
            float[] trained = model.forward(input, null).toFloatArray();
            for (int layer = 0; layer < 2; layer++) {
                for (String norm : new String[] {"q_norm", "k_norm"}) {
                    NDArray w = model.parameters().get("model.layers." + layer + ".self_attn." + norm + ".weight");
                    assertThat(w.toFloatArray()).isNotEqualTo(new float[] {1, 1, 1, 1, 1, 1, 1, 1});
                }
            }
            // per-head RMSNorm removes the scale of q and k: scaling their projections changes nothing
            NDArray q0 = model.parameters().get("model.layers.0.self_attn.q_proj.weight");
            NDArray k1 = model.parameters().get("model.layers.1.self_attn.k_proj.weight");
            q0.muli(7f);
            k1.muli(0.1f);
            float[] scaled = model.forward(input, null).toFloatArray();
            assertThat(maxAbsDiff(trained, scaled)).isLessThan(1e-4f);
            q0.divi(7f);
            k1.divi(0.1f);
            // all-ones norms give other logits
            for (int layer = 0; layer < 2; layer++) {
                model.parameters().get("model.layers." + layer + ".self_attn.q_norm.weight").set(new float[8]);
                model.parameters().get("model.layers." + layer + ".self_attn.q_norm.weight").addi(1f);
                model.parameters().get("model.layers." + layer + ".self_attn.k_norm.weight").set(new float[8]);
                model.parameters().get("model.layers." + layer + ".self_attn.k_norm.weight").addi(1f);
            }
            float[] ones = model.forward(input, null).toFloatArray();
            assertThat(maxAbsDiff(trained, ones)).isGreaterThan(1e-2f);
        }
    }

    private static float maxAbsDiff(float[] a, float[] b) {
        float d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    // ---- Qwen3's differences from the shared double-precision reference (ReferenceForward) ----

    /** Plain w norms, per-head q_norm / k_norm before RoPE, SwiGLU (silu gate). */
    private static double[] referenceForward(ModelConfig c, Map<String, NDArray> p, long[] ids) {
        ReferenceForward.Family qwen3 = new ReferenceForward.Family(1.0, 0.0,
                headNorm(p, "self_attn.q_norm.weight", c.normEps()),
                headNorm(p, "self_attn.k_norm.weight", c.normEps()),
                g -> g / (1 + Math.exp(-g)));
        return ReferenceForward.tiedLogits(c, p, ids, qwen3);
    }

    /** Per layer: RMSNorm of each head over head_dim with that layer's q_norm or k_norm weight. */
    private static Function<String, UnaryOperator<double[]>> headNorm(Map<String, NDArray> p, String name, double eps) {
        return layerPrefix -> {
            float[] weight = ReferenceForward.weight(p, layerPrefix + name);
            return head -> ReferenceForward.rmsVector(head, weight, eps, 0.0);
        };
    }
}
