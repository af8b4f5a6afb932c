package dev.prefstream.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.family.ModelFamily;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * OPT (OPTForCausalLM): tiny random checkpoints stored as transformers stores them (learned positions with
 * OPTLearnedPositionalEmbedding's offset of 2 rows, biased q/k/v/out_proj and fc1/fc2, optional project_in /
 * project_out, tied or untied head) give the logits of an independent double-precision forward pass written from
 * modeling_opt's semantics, pre-LN and post-LN (opt-350m), with and without the final layer norm;
 * save -> load -> save keeps the source tensors' bits; unsupported settings are named.
 * The checks every family shares (float16, gradients and cached decoding, padding, missing tensors, save and load)
 * run in {@link FamilyContractTest}.
 */
class OptTest {

    /** 4 heads of 4; word_embed_proj_dim 8 where it differs from hidden 16. */
    private static final String CONFIG = """
            {
              "architectures": ["OPTForCausalLM"],
              "model_type": "opt",
              "vocab_size": 40,
              "hidden_size": 16,
              "word_embed_proj_dim": %d,
              "num_hidden_layers": %d,
              "num_attention_heads": 4,
              "ffn_dim": 24,
              "max_position_embeddings": 32,
              "do_layer_norm_before": %s,
              "_remove_final_layer_norm": %s,
              "activation_function": "%s",
              "enable_bias": %s,
              "layer_norm_elementwise_affine": true,
              "tie_word_embeddings": %s,
              "dropout": 0.0,
              "attention_dropout": 0.0,
              "torch_dtype": "float32",
              "bos_token_id": 2,
              "eos_token_id": 2,
              "pad_token_id": 1
            }""";

    @TempDir
    Path tmp;

    private static String config(int proj, int layers, boolean before, boolean removeFinal, String act, boolean bias,
                                 boolean tie) {
        return CONFIG.formatted(proj, layers, before, removeFinal, act, bias, tie);
    }

    static String opt125mLike(int layers) {
        return config(16, layers, true, false, "relu", true, true);
    }

    /** opt-350m's shape: post-LN, project_in / project_out, here untied. */
    static String opt350mLike(int layers) {
        return config(8, layers, false, false, "relu", true, false);
    }

    /** config.json and model.safetensors with random weights, norm weights 1 + N(0, 0.3). */
    private Path checkpoint(String name, String configJson, long seed) throws IOException {
        return RandomWeights.checkpoint(tmp.resolve(name), configJson, seed, 0.3, 0f);
    }

    @Test
    void configReadsOptDefaultsAndTheReleasedShapes() {
        ModelConfig c = ModelConfig.parse("""
                {"model_type": "opt", "vocab_size": 40, "hidden_size": 16, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "ffn_dim": 24, "max_position_embeddings": 32}""", "config.json");
        assertThat(ModelFamily.of(c)).isEqualTo(ModelFamily.OPT);
        assertThat(c.headDim()).isEqualTo(4);
        assertThat(c.hiddenAct()).isEqualTo("relu");
        assertThat(c.normBefore()).isTrue();
        assertThat(c.finalNorm()).isTrue();
        assertThat(c.wordEmbedProjDim()).isEqualTo(16);
        assertThat(c.tieWordEmbeddings()).isTrue();
        assertThat(c.qkvBias()).isTrue();
        assertThat(c.normEps()).isEqualTo(1e-5);
        assertThat(c.bosTokenId()).isEqualTo(2);
        assertThat(c.eosTokenId()).isEqualTo(2);
        Map<String, Shape> layout = WeightLayout.of(c);
        assertThat(layout).containsEntry("model.decoder.embed_tokens.weight", new Shape(40, 16))
                .containsEntry("model.decoder.embed_positions.weight", new Shape(34, 16))
                .containsEntry("model.decoder.layers.1.self_attn.q_proj.bias", new Shape(16))
                .containsEntry("model.decoder.layers.0.fc1.weight", new Shape(24, 16))
                .containsEntry("model.decoder.layers.0.fc2.weight", new Shape(16, 24))
                .containsEntry("model.decoder.final_layer_norm.bias", new Shape(16))
                .doesNotContainKeys("lm_head.weight", "model.decoder.project_in.weight");

        ModelConfig postLn = ModelConfig.parse(opt350mLike(1), "config.json");
        assertThat(WeightLayout.of(postLn)).containsEntry("model.decoder.embed_tokens.weight", new Shape(40, 8))
                .containsEntry("model.decoder.project_in.weight", new Shape(16, 8))
                .containsEntry("model.decoder.project_out.weight", new Shape(8, 16))
                .containsEntry("lm_head.weight", new Shape(40, 8))
                .doesNotContainKeys("model.decoder.final_layer_norm.weight", "model.decoder.project_in.bias");

        // facebook/opt-125m and facebook/opt-350m: the parameter counts transformers reports
        ModelConfig opt125m = ModelConfig.parse("""
                {"_remove_final_layer_norm": false, "activation_function": "relu", "architectures": ["OPTForCausalLM"],
                 "bos_token_id": 2, "do_layer_norm_before": true, "eos_token_id": 2, "ffn_dim": 3072,
                 "hidden_size": 768, "max_position_embeddings": 2048, "model_type": "opt", "num_attention_heads": 12,
                 "num_hidden_layers": 12, "pad_token_id": 1, "vocab_size": 50272, "word_embed_proj_dim": 768}""",
                "config.json");
        assertThat(WeightLayout.parameterCount(opt125m)).isEqualTo(125_239_296L);
        ModelConfig opt350m = ModelConfig.parse("""
                {"_remove_final_layer_norm": false, "activation_function": "relu", "bos_token_id": 2,
                 "do_layer_norm_before": false, "eos_token_id": 2, "ffn_dim": 4096, "hidden_size": 1024,
                 "max_position_embeddings": 2048, "model_type": "opt", "num_attention_heads": 16,
                 "num_hidden_layers": 24, "pad_token_id": 1, "vocab_size": 50272, "word_embed_proj_dim": 512}""",
                "config.json");
        assertThat(opt350m.finalNorm()).isFalse();
        assertThat(WeightLayout.parameterCount(opt350m)).isEqualTo(331_196_416L);
    }

    @ParameterizedTest(name = "proj={0} pre-LN={1} remove_final={2} act={3} bias={4} tied={5}")
    @CsvSource({
        "16, true,  false, relu,     true,  true",
        "16, false, false, relu,     true,  true",
        "8,  false, false, relu,     true,  false",
        "8,  true,  false, gelu,     true,  true",
        "16, true,  true,  gelu_new, false, false",
        "8,  true,  true,  relu,     false, true",
    })
    void logitsMatchAnIndependentForwardPass(int proj, boolean before, boolean removeFinal, String act, boolean bias,
                                             boolean tie) throws IOException {
        Path dir = checkpoint("ref", config(proj, 2, before, removeFinal, act, bias, tie), 5);
        long[] ids = {7, 1, 38, 20, 20, 9, 0, 31};
        try (DecoderModel model = HfModelLoader.load(dir, Device.cpu());
             NDManager m = NDManager.newBaseManager(Device.cpu())) {
            float[] actual = model.forward(m.create(ids, new Shape(1, ids.length)), null).toFloatArray();
            double[] expected = reference(model.config(), model.parameters(), ids, 2);
            double largest = FamilyChecks.maxAbs(expected);
            assertThat(largest).isGreaterThan(1.0);
            assertThat(FamilyChecks.maxAbsDiff(expected, actual)).isLessThan(2e-5 * largest);
            if (proj == 16 && before && !removeFinal) {
                // the test can tell the position offset apart: reading row p instead of p + 2 is far off
                double[] unshifted = reference(model.config(), model.parameters(), ids, 0);
                assertThat(FamilyChecks.maxAbsDiff(unshifted, actual)).isGreaterThan(0.05 * largest);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"pre-LN tied", "post-LN projected untied"})
    void saveKeepsTheSourceBitsAndOptsKeys(String shape) throws IOException {
        boolean pre = shape.startsWith("pre");
        Path source = checkpoint("source", pre ? opt125mLike(2) : opt350mLike(2), 9);
        ObjectNode json = FamilyChecks.saveKeepsTheSourceBits(source, FamilyChecks.storedTensors(source), tmp);
        assertThat(json.get("architectures").get(0).asText()).isEqualTo("OPTForCausalLM");
        assertThat(json.get("model_type").asText()).isEqualTo("opt");
        assertThat(json.get("hidden_size").asInt()).isEqualTo(16);
        assertThat(json.get("ffn_dim").asInt()).isEqualTo(24);
        assertThat(json.get("num_attention_heads").asInt()).isEqualTo(4);
        assertThat(json.get("num_hidden_layers").asInt()).isEqualTo(2);
        assertThat(json.get("vocab_size").asInt()).isEqualTo(40);
        assertThat(json.get("max_position_embeddings").asInt()).isEqualTo(32);
        assertThat(json.get("word_embed_proj_dim").asInt()).isEqualTo(pre ? 16 : 8);
        assertThat(json.get("do_layer_norm_before").asBoolean()).isEqualTo(pre);
        assertThat(json.get("_remove_final_layer_norm").asBoolean()).isFalse();
        assertThat(json.get("activation_function").asText()).isEqualTo("relu");
        assertThat(json.get("enable_bias").asBoolean()).isTrue();
        assertThat(json.get("layer_norm_elementwise_affine").asBoolean()).isTrue();
        assertThat(json.get("tie_word_embeddings").asBoolean()).isEqualTo(pre);
        assertThat(json.get("bos_token_id").asInt()).isEqualTo(2);
        assertThat(json.get("eos_token_id").asInt()).isEqualTo(2);
        assertThat(json.get("pad_token_id").asInt()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "silu          | \"activation_function\": \"silu\"            | opt activation_function 'silu' is not supported (relu, gelu, gelu_new)",
        "no affine     | \"layer_norm_elementwise_affine\": false    | opt layer_norm_elementwise_affine=false (layer norms without weight and bias) is not supported",
        "heads         | \"num_attention_heads\": 5                   | hidden_size (16) is not a multiple of num_attention_heads (5)",
        "no ffn_dim    | \"ffn_dim\": null                            | missing required key ffn_dim",
    })
    void unsupportedSettingsAreRefusedWhenTheConfigIsRead(String name, String keys, String message) {
        String json = """
                {"model_type": "opt", "vocab_size": 40, "hidden_size": 16, "num_hidden_layers": 1,
                 "max_position_embeddings": 32, %s%s%s}""".formatted(keys,
                keys.contains("num_attention_heads") ? "" : ", \"num_attention_heads\": 4",
                keys.contains("ffn_dim") ? "" : ", \"ffn_dim\": 24");
        FamilyChecks.refusedWhenRead(json, message);
    }

    // ---- an independent double-precision OPT forward pass, written from modeling_opt ----

    /**
     * Logits [t * vocab] for one sequence; position p reads embed_positions row p + {@code offset} (2 in
     * transformers; 0 only to show that the test tells them apart).
     */
    private static double[] reference(ModelConfig c, Map<String, NDArray> p, long[] ids, int offset) {
        int t = ids.length;
        int h = c.hiddenSize();
        int hd = h / c.numHeads();
        boolean projects = c.wordEmbedProjDim() != h;
        float[] tokens = ReferenceForward.weight(p, "model.decoder.embed_tokens.weight");
        double[][] x = ReferenceForward.embed(tokens, c.wordEmbedProjDim(), ids, 1);
        if (projects) {
            x = ReferenceForward.project(x, ReferenceForward.weight(p, "model.decoder.project_in.weight"), h);
        }
        long[] positions = new long[t];
        for (int i = 0; i < t; i++) {
            positions[i] = i + offset;
        }
        ReferenceForward.add(x, ReferenceForward.embed(
                ReferenceForward.weight(p, "model.decoder.embed_positions.weight"), h, positions, 1));
        for (int layer = 0; layer < c.numLayers(); layer++) {
            String pre = "model.decoder.layers." + layer + ".";
            boolean before = c.normBefore();
            double[][] in = before ? ReferenceForward.layerNorm(x, p, pre + "self_attn_layer_norm", 1e-5) : x;
            double[][] q = ReferenceForward.affine(in, p, pre + "self_attn.q_proj", h);
            double[][] k = ReferenceForward.affine(in, p, pre + "self_attn.k_proj", h);
            double[][] v = ReferenceForward.affine(in, p, pre + "self_attn.v_proj", h);
            double[][] attended = ReferenceForward.causalAttention(q, k, v, c.numHeads(), c.numHeads(), hd,
                    ReferenceForward.Scores.plain(hd), ReferenceForward.HeadAtPosition.none(),
                    ReferenceForward.HeadAtPosition.none());
            ReferenceForward.add(x, ReferenceForward.affine(attended, p, pre + "self_attn.out_proj", h));
            if (!before) {
                x = ReferenceForward.layerNorm(x, p, pre + "self_attn_layer_norm", 1e-5);
            }
            in = before ? ReferenceForward.layerNorm(x, p, pre + "final_layer_norm", 1e-5) : x;
            double[][] up = ReferenceForward.activate(ReferenceForward.affine(in, p, pre + "fc1", c.intermediateSize()),
                    c.hiddenAct());
            ReferenceForward.add(x, ReferenceForward.affine(up, p, pre + "fc2", h));
            if (!before) {
                x = ReferenceForward.layerNorm(x, p, pre + "final_layer_norm", 1e-5);
            }
        }
        if (p.containsKey("model.decoder.final_layer_norm.weight")) {
            x = ReferenceForward.layerNorm(x, p, "model.decoder.final_layer_norm", 1e-5);
        }
        if (projects) {
            x = ReferenceForward.project(x, ReferenceForward.weight(p, "model.decoder.project_out.weight"),
                    c.wordEmbedProjDim());
        }
        float[] head = c.tieWordEmbeddings() ? tokens : ReferenceForward.weight(p, "lm_head.weight");
        return ReferenceForward.flatten(ReferenceForward.project(x, head, c.vocabSize()));
    }
}
