package dev.prefstream.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Gemma 2 (Gemma2ForCausalLM): tiny random checkpoints (4 query heads of 8 over 2 key/value heads, hidden 24,
 * query_pre_attn_scalar 16 != head_dim, a sliding window of 3 over 8 tokens) give the logits of an independent
 * double-precision forward pass written from modeling_gemma2's semantics: Gemma's (1 + w) norms, scaled embeddings
 * and GeGLU, the four per-layer norms, scores scaled by query_pre_attn_scalar^-0.5 and soft-capped before the mask,
 * windows on the even layers (or as layer_types says), soft-capped final logits; caps on and off;
 * save -> load -> save keeps the source tensors' bits and writes Gemma 2's keys.
 * The checks every family shares (float16, gradients and cached decoding, padding, missing tensors, save and load)
 * run in {@link FamilyContractTest}.
 */
class Gemma2Test {

    private static final String CONFIG = """
            {
              "architectures": ["Gemma2ForCausalLM"],
              "model_type": "gemma2",
              "vocab_size": 40,
              "hidden_size": 24,
              "num_hidden_layers": %d,
              "num_attention_heads": 4,
              "num_key_value_heads": 2,
              "head_dim": 8,
              "intermediate_size": 36,
              "max_position_embeddings": 32,
              "rms_norm_eps": 1e-06,
              "rope_theta": 10000.0,
              "hidden_activation": "gelu_pytorch_tanh",
              "query_pre_attn_scalar": 16,
              "attn_logit_softcapping": %s,
              "final_logit_softcapping": %s,
              "sliding_window": 3,
              %s
              "attention_bias": false,
              "attention_dropout": 0.0,
              "torch_dtype": "float32",
              "bos_token_id": 2,
              "eos_token_id": 1,
              "pad_token_id": 0
            }""";

    /** Caps small enough that tanh bends the random checkpoints' scores and logits. */
    static String capped(int layers) {
        return config(layers, "2.0", "3.0", "");
    }

    private static String config(int layers, String attnCap, String finalCap, String layerTypes) {
        return CONFIG.formatted(layers, attnCap, finalCap, layerTypes.isEmpty() ? ""
                : "\"layer_types\": " + layerTypes + ",");
    }

    @TempDir
    Path tmp;

    /** config.json and model.safetensors; norm weights N(0, 0.3) around 0, as Gemma stores them (scale 1 + w). */
    private Path checkpoint(String name, String configJson, long seed) throws IOException {
        return RandomWeights.checkpoint(tmp.resolve(name), configJson, seed, 0.3, 1f);
    }

    @Test
    void configReadsGemma2Defaults() {
        ModelConfig defaults = ModelConfig.parse("""
                {"model_type": "gemma2", "vocab_size": 40, "hidden_size": 16, "num_hidden_layers": 3,
                 "num_attention_heads": 8, "intermediate_size": 24, "max_position_embeddings": 32}""", "config.json");
        assertThat(defaults.normKind()).isEqualTo(ModelConfig.NormKind.RMS_NORM_UNIT_OFFSET);
        assertThat(defaults.scaleEmbeddings()).isTrue();
        assertThat(defaults.sandwichNorms()).isTrue();
        assertThat(defaults.headDim()).isEqualTo(256);                 // Gemma2Config's defaults
        assertThat(defaults.numKvHeads()).isEqualTo(4);
        assertThat(defaults.queryPreAttnScalar()).isEqualTo(256.0);
        assertThat(defaults.attnLogitSoftcap()).isEqualTo(50.0);
        assertThat(defaults.finalLogitSoftcap()).isEqualTo(30.0);
        assertThat(defaults.slidingWindow()).isEqualTo(4096);
        assertThat(defaults.hiddenAct()).isEqualTo("gelu_pytorch_tanh");
        assertThat(defaults.tieWordEmbeddings()).isTrue();
        assertThat(defaults.normEps()).isEqualTo(1e-6);
        assertThat(List.of(defaults.slidingWindowAt(0), defaults.slidingWindowAt(1), defaults.slidingWindowAt(2)))
                .containsExactly(true, false, true);
        assertThat(WeightLayout.of(defaults)).containsKeys("model.layers.2.pre_feedforward_layernorm.weight",
                "model.layers.2.post_feedforward_layernorm.weight", "model.layers.2.post_attention_layernorm.weight")
                .doesNotContainKeys("lm_head.weight", "model.layers.0.self_attn.q_proj.bias");

        ModelConfig explicit = ModelConfig.parse(config(3, "null", "null",
                "[\"full_attention\", \"sliding_attention\", \"sliding_attention\"]"), "config.json");
        assertThat(explicit.attnLogitSoftcap()).isNull();
        assertThat(explicit.finalLogitSoftcap()).isNull();
        assertThat(List.of(explicit.slidingWindowAt(0), explicit.slidingWindowAt(1), explicit.slidingWindowAt(2)))
                .containsExactly(false, true, true);
        ModelConfig noWindow = ModelConfig.parse(CONFIG.formatted(2, "null", "null", "")
                .replace("\"sliding_window\": 3", "\"sliding_window\": null"), "config.json");
        assertThat(noWindow.hasSlidingLayers()).isFalse();

        FamilyChecks.refusedWhenRead(config(2, "null", "null", "[\"full_attention\", \"chunked_attention\"]"),
                "layer_types[1] 'chunked_attention' is not supported");
        FamilyChecks.refusedWhenRead(config(2, "-1.0", "null", ""), "attn_logit_softcapping must be > 0");
        FamilyChecks.refusedWhenRead(config(2, "null", "null", "").replace("gelu_pytorch_tanh", "gelu"),
                "gemma2 hidden_activation 'gelu' is not supported");
    }

    @ParameterizedTest(name = "attn cap={0} final cap={1} layer_types={2}")
    @CsvSource(delimiter = '|', value = {
        "2.0  | 3.0  | ",
        "null | null | ",
        "2.0  | null | [\"full_attention\", \"sliding_attention\", \"sliding_attention\"]",
        "null | 3.0  | [\"sliding_attention\", \"full_attention\", \"full_attention\"]",
    })
    void logitsMatchAnIndependentForwardPass(String attnCap, String finalCap, String layerTypes) throws IOException {
        Path dir = checkpoint("ref", config(3, attnCap, finalCap, layerTypes == null ? "" : layerTypes), 5);
        long[] ids = {7, 1, 38, 20, 20, 9, 0, 31};
        try (DecoderModel model = HfModelLoader.load(dir, Device.cpu());
             NDManager m = NDManager.newBaseManager(Device.cpu())) {
            ModelConfig c = model.config();
            float[] actual = model.forward(m.create(ids, new Shape(1, ids.length)), null).toFloatArray();
            double[] expected = reference(c, model.parameters(), ids, c.attnLogitSoftcap(), c.finalLogitSoftcap(),
                    c.slidingWindow());
            double largest = FamilyChecks.maxAbs(expected);
            assertThat(largest).isGreaterThan(1.0);
            assertThat(FamilyChecks.maxAbsDiff(expected, actual)).isLessThan(2e-4 * largest);
            // the test can tell each feature apart: leaving it out of the reference is far off
            double[] noWindow = reference(c, model.parameters(), ids, c.attnLogitSoftcap(), c.finalLogitSoftcap(),
                    null);
            assertThat(FamilyChecks.maxAbsDiff(noWindow, actual)).isGreaterThan(0.01 * largest);
            if (c.attnLogitSoftcap() != null) {
                double[] uncapped = reference(c, model.parameters(), ids, null, c.finalLogitSoftcap(),
                        c.slidingWindow());
                assertThat(FamilyChecks.maxAbsDiff(uncapped, actual)).isGreaterThan(0.01 * largest);
            }
            if (c.finalLogitSoftcap() != null) {
                assertThat(largest).isLessThan(3.0);
                double[] uncapped = reference(c, model.parameters(), ids, c.attnLogitSoftcap(), null,
                        c.slidingWindow());
                assertThat(FamilyChecks.maxAbsDiff(uncapped, actual)).isGreaterThan(0.05 * largest);
            }
        }
    }

    @Test
    void saveKeepsTheSourceBitsAndGemma2sKeys() throws IOException {
        Path source = checkpoint("source", capped(2), 9);
        ObjectNode json = FamilyChecks.saveKeepsTheSourceBits(source, FamilyChecks.storedTensors(source), tmp);
        assertThat(json.get("architectures").get(0).asText()).isEqualTo("Gemma2ForCausalLM");
        assertThat(json.get("model_type").asText()).isEqualTo("gemma2");
        assertThat(json.get("head_dim").asInt()).isEqualTo(8);
        assertThat(json.get("num_key_value_heads").asInt()).isEqualTo(2);
        assertThat(json.get("hidden_activation").asText()).isEqualTo("gelu_pytorch_tanh");
        assertThat(json.get("query_pre_attn_scalar").asDouble()).isEqualTo(16.0);
        assertThat(json.get("attn_logit_softcapping").asDouble()).isEqualTo(2.0);
        assertThat(json.get("final_logit_softcapping").asDouble()).isEqualTo(3.0);
        assertThat(json.get("sliding_window").asInt()).isEqualTo(3);
        assertThat(json.get("layer_types").toString()).isEqualTo("[\"sliding_attention\",\"full_attention\"]");
        assertThat(json.get("rms_norm_eps").asDouble()).isEqualTo(1e-6);
        assertThat(json.get("tie_word_embeddings").asBoolean()).isTrue();
        assertThat(json.get("attention_bias").asBoolean()).isFalse();

        Path uncapped = checkpoint("uncapped", config(2, "null", "null", ""), 9);
        ObjectNode none = FamilyChecks.saveKeepsTheSourceBits(uncapped, FamilyChecks.storedTensors(uncapped),
                tmp.resolve("uncapped-out"));
        assertThat(none.get("attn_logit_softcapping").isNull()).isTrue();
        assertThat(none.get("final_logit_softcapping").isNull()).isTrue();
    }

    // ---- an independent double-precision Gemma 2 forward pass, written from modeling_gemma2 ----

    /** Logits [t * vocab] for one sequence with the given caps (null: none) and window (null: full everywhere). */
    private static double[] reference(ModelConfig c, Map<String, NDArray> p, long[] ids, Double attnCap,
                                      Double finalCap, Integer window) {
        int h = c.hiddenSize();
        int hd = c.headDim();
        double eps = c.normEps();
        float[] embed = ReferenceForward.weight(p, "model.embed_tokens.weight");
        // torch.tensor(hidden ** 0.5, dtype=float32)
        double[][] x = ReferenceForward.embed(embed, h, ids, (float) Math.sqrt(h));
        ReferenceForward.HeadAtPosition rope = (head, i) -> ReferenceForward.rotate(head, i, c.ropeTheta());
        for (int layer = 0; layer < c.numLayers(); layer++) {
            String pre = "model.layers." + layer + ".";
            double[][] n = norm(x, p, pre + "input_layernorm", eps);
            double[][] q = ReferenceForward.project(n, ReferenceForward.weight(p, pre + "self_attn.q_proj.weight"),
                    c.numHeads() * hd);
            double[][] k = ReferenceForward.project(n, ReferenceForward.weight(p, pre + "self_attn.k_proj.weight"),
                    c.numKvHeads() * hd);
            double[][] v = ReferenceForward.project(n, ReferenceForward.weight(p, pre + "self_attn.v_proj.weight"),
                    c.numKvHeads() * hd);
            ReferenceForward.Scores scores = new ReferenceForward.Scores(Math.pow(c.queryPreAttnScalar(), -0.5),
                    attnCap, c.slidingWindowAt(layer) ? window : null);
            double[][] attended = ReferenceForward.causalAttention(q, k, v, c.numHeads(), c.numKvHeads(), hd, scores,
                    rope, rope);
            double[][] a = ReferenceForward.project(attended,
                    ReferenceForward.weight(p, pre + "self_attn.o_proj.weight"), h);
            ReferenceForward.add(x, norm(a, p, pre + "post_attention_layernorm", eps));
            double[][] mlp = ReferenceForward.gatedMlp(norm(x, p, pre + "pre_feedforward_layernorm", eps), p, pre, c,
                    g -> ReferenceForward.activation("gelu_pytorch_tanh", g));
            ReferenceForward.add(x, norm(mlp, p, pre + "post_feedforward_layernorm", eps));
        }
        double[] logits = ReferenceForward.flatten(ReferenceForward.project(norm(x, p, "model.norm", eps), embed,
                c.vocabSize()));
        if (finalCap != null) {
            for (int i = 0; i < logits.length; i++) {
                logits[i] = Math.tanh(logits[i] / finalCap) * finalCap;
            }
        }
        return logits;
    }

    /** Gemma's RMSNorm: x / rms(x) * (1 + w). */
    private static double[][] norm(double[][] x, Map<String, NDArray> p, String module, double eps) {
        return ReferenceForward.rms(x, ReferenceForward.weight(p, module + ".weight"), eps, 1.0);
    }
}
