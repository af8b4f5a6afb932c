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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Gemma (v1, GemmaForCausalLM): a tiny random checkpoint with an explicit head_dim (4 x 8 = 32 != hidden 24),
 * one key/value head and the tied head loads; its logits match an independent double-precision forward pass
 * (ReferenceForward, with Gemma's differences given here: (1 + w) RMSNorm, embeddings x sqrt(hidden),
 * GeGLU with the tanh gelu).
 * The checks every family shares (float16, gradients and cached decoding, padding, missing tensors, save and load)
 * run in {@link FamilyContractTest}.
 */
class GemmaTest {

    private static final String CONFIG = """
            {
              "architectures": ["GemmaForCausalLM"],
              "model_type": "gemma",
              "vocab_size": 40,
              "hidden_size": 24,
              "num_hidden_layers": %d,
              "num_attention_heads": 4,
              "num_key_value_heads": 1,
              "head_dim": 8,
              "intermediate_size": 36,
              "max_position_embeddings": 32,
              "rms_norm_eps": 1e-06,
              "rope_theta": 10000.0,
              "rope_scaling": null,
              "hidden_act": "gelu",
              "hidden_activation": "gelu_pytorch_tanh",
              "attention_bias": false,
              "attention_dropout": 0.0,
              "torch_dtype": "float32",
              "bos_token_id": 2,
              "eos_token_id": 1,
              "pad_token_id": 0
            }""";

    @TempDir
    Path tmp;

    /** The config.json of a {@code layers}-layer checkpoint. */
    static String config(int layers) {
        return CONFIG.formatted(layers);
    }

    /** config.json and model.safetensors; norm weights N(0, 0.3) around 0, as Gemma stores them (scale 1 + w). */
    private Path checkpoint(String name, int layers, long seed) throws IOException {
        return RandomWeights.checkpoint(tmp.resolve(name), CONFIG.formatted(layers), seed, 0.3, 1f);
    }

    @Test
    void configReadsGemmaDefaults() {
        ModelConfig c = ModelConfig.parse(CONFIG.formatted(2), "config.json");
        assertThat(c.normKind()).isEqualTo(ModelConfig.NormKind.RMS_NORM_UNIT_OFFSET);
        assertThat(c.scaleEmbeddings()).isTrue();
        assertThat(c.hiddenAct()).isEqualTo("gelu_pytorch_tanh");      // hidden_activation wins over hidden_act
        assertThat(c.headDim()).isEqualTo(8);
        assertThat(c.tieWordEmbeddings()).isTrue();                    // GemmaConfig's default
        assertThat(c.normEps()).isEqualTo(1e-6);
        Map<String, Shape> layout = WeightLayout.of(c);
        assertThat(layout).containsEntry("model.layers.0.self_attn.q_proj.weight", new Shape(32, 24))
                .containsEntry("model.layers.0.self_attn.k_proj.weight", new Shape(8, 24))
                .containsEntry("model.layers.0.self_attn.o_proj.weight", new Shape(24, 32))
                .doesNotContainKey("lm_head.weight");
        ModelConfig defaults = ModelConfig.parse("""
                {"model_type": "gemma", "vocab_size": 40, "hidden_size": 16, "num_hidden_layers": 1,
                 "num_attention_heads": 2, "intermediate_size": 24, "max_position_embeddings": 32}""", "config.json");
        assertThat(defaults.headDim()).isEqualTo(256);                 // GemmaConfig's default, not 16 / 2
        assertThat(defaults.hiddenAct()).isEqualTo("gelu_pytorch_tanh");
        assertThat(defaults.tieWordEmbeddings()).isTrue();
    }

    @Test
    void logitsMatchAnIndependentForwardPass() throws IOException {
        Path dir = checkpoint("two-layers", 2, 5);
        long[] ids = {7, 1, 38, 20, 20, 9, 0};
        try (DecoderModel model = HfModelLoader.load(dir, Device.cpu());
             NDManager m = NDManager.newBaseManager(Device.cpu())) {
            float[] actual = model.forward(m.create(ids, new Shape(1, ids.length)), null).toFloatArray();
            double[] expected = referenceForward(model.config(), model.parameters(), ids);
            double worst = 0;
            double largest = 0;
            for (int i = 0; i < expected.length; i++) {
                worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
                largest = Math.max(largest, Math.abs(expected[i]));
            }
            assertThat(largest).isGreaterThan(1.0);
            assertThat(worst).isLessThan(2e-4 * largest);
        }
    }

    // ---- Gemma's differences from the shared double-precision reference (ReferenceForward) ----

    /** (1 + w) norms, embeddings x sqrt(hidden) rounded to float as torch does, GeGLU with the tanh gelu. */
    private static double[] referenceForward(ModelConfig c, Map<String, NDArray> p, long[] ids) {
        double normalizer = (float) Math.sqrt(c.hiddenSize());   // torch.tensor(hidden ** 0.5, dtype=float32)
        ReferenceForward.Family gemma = new ReferenceForward.Family(normalizer, 1.0,
                ReferenceForward.noHeadTransform(), ReferenceForward.noHeadTransform(),
                g -> 0.5 * g * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (g + 0.044715 * g * g * g))));
        return ReferenceForward.tiedLogits(c, p, ids, gemma);
    }
}
