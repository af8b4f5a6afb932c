package dev.prefstream.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.family.ModelFamily;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * GPT-NeoX (Pythia, GPTNeoXForCausalLM): tiny random checkpoints stored as transformers stores them (one fused,
 * per-head interleaved query_key_value, LayerNorms with bias, biased projections, untied embed_out) give the logits
 * of an independent double-precision forward pass written from modeling_gpt_neox's semantics (parallel and
 * sequential residual, partial and full rotary, exact-erf / tanh gelu / relu / silu); save -> load -> save keeps the
 * source tensors' bytes and drops the old checkpoints' attention buffers; unsupported settings are named.
 * The checks every family shares (float16, gradients and cached decoding, padding, missing tensors, save and load)
 * run in {@link FamilyContractTest}.
 */
class GptNeoxTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** 4 heads of 8: rotary_pct 0.25 rotates 2 dims per head, 0.5 four, 1.0 all eight. */
    private static final String CONFIG = """
            {
              "architectures": ["GPTNeoXForCausalLM"],
              "model_type": "gpt_neox",
              "vocab_size": 40,
              "hidden_size": 32,
              "num_hidden_layers": %d,
              "num_attention_heads": 4,
              "intermediate_size": 48,
              "max_position_embeddings": 32,
              "rotary_pct": %s,
              "rotary_emb_base": 10000,
              "layer_norm_eps": 1e-05,
              "use_parallel_residual": %s,
              "hidden_act": "%s",
              "tie_word_embeddings": %s,
              "attention_bias": %s,
              "attention_dropout": 0.0,
              "hidden_dropout": 0.0,
              "torch_dtype": "float32",
              "bos_token_id": 0,
              "eos_token_id": 0
            }""";

    @TempDir
    Path tmp;

    static String config(int layers, String rotaryPct, boolean parallel, String act, boolean tie,
                                 boolean attentionBias) {
        return CONFIG.formatted(layers, rotaryPct, parallel, act, tie, attentionBias);
    }

    static String pythiaLike(int layers) {
        return config(layers, "0.25", true, "gelu", false, true);
    }

    /** config.json and model.safetensors with random weights, norm weights 1 + N(0, 0.3). */
    private Path checkpoint(String name, String configJson, long seed) throws IOException {
        return RandomWeights.checkpoint(tmp.resolve(name), configJson, seed, 0.3, 0f);
    }

    @Test
    void configReadsGptNeoxDefaultsAndPythiaShapes() {
        ModelConfig c = ModelConfig.parse("""
                {"model_type": "gpt_neox", "vocab_size": 40, "hidden_size": 32, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "intermediate_size": 48, "max_position_embeddings": 32}""", "config.json");
        assertThat(ModelFamily.of(c)).isEqualTo(ModelFamily.GPT_NEOX);
        assertThat(c.headDim()).isEqualTo(8);
        assertThat(c.numKvHeads()).isEqualTo(4);
        assertThat(c.partialRotaryFactor()).isEqualTo(0.25);
        assertThat(c.rotaryDim()).isEqualTo(2);
        assertThat(c.ropeTheta()).isEqualTo(10000.0);
        assertThat(c.normEps()).isEqualTo(1e-5);
        assertThat(c.hiddenAct()).isEqualTo("gelu");
        assertThat(c.parallelResidual()).isTrue();
        assertThat(c.tieWordEmbeddings()).isFalse();
        assertThat(c.qkvBias()).isTrue();
        assertThat(c.outputBias()).isTrue();
        assertThat(c.bosTokenId()).isZero();
        assertThat(c.eosTokenId()).isEqualTo(2);                       // GPTNeoXConfig's defaults
        Map<String, Shape> layout = WeightLayout.of(c);
        assertThat(layout).containsEntry("gpt_neox.embed_in.weight", new Shape(40, 32))
                .containsEntry("gpt_neox.layers.1.attention.query_key_value.weight", new Shape(96, 32))
                .containsEntry("gpt_neox.layers.1.attention.query_key_value.bias", new Shape(96))
                .containsEntry("gpt_neox.layers.0.attention.dense.bias", new Shape(32))
                .containsEntry("gpt_neox.layers.0.mlp.dense_h_to_4h.weight", new Shape(48, 32))
                .containsEntry("gpt_neox.layers.0.mlp.dense_4h_to_h.weight", new Shape(32, 48))
                .containsEntry("gpt_neox.layers.0.input_layernorm.bias", new Shape(32))
                .containsEntry("gpt_neox.final_layer_norm.bias", new Shape(32))
                .containsEntry("embed_out.weight", new Shape(40, 32));
        assertThat(layout).hasSize(1 + 2 * 12 + 2 + 1);

        // newer transformers: partial_rotary_factor and rope_theta instead of rotary_pct / rotary_emb_base
        ModelConfig newer = ModelConfig.parse("""
                {"model_type": "gpt_neox", "vocab_size": 40, "hidden_size": 32, "num_hidden_layers": 1,
                 "num_attention_heads": 4, "intermediate_size": 48, "max_position_embeddings": 32,
                 "attention_bias": false, "use_parallel_residual": false, "tie_word_embeddings": true,
                 "rope_parameters": {"rope_type": "default", "rope_theta": 500.0, "partial_rotary_factor": 0.5}}""",
                "config.json");
        assertThat(newer.rotaryDim()).isEqualTo(4);
        assertThat(newer.ropeTheta()).isEqualTo(500.0);
        assertThat(newer.parallelResidual()).isFalse();
        assertThat(WeightLayout.of(newer)).doesNotContainKeys("embed_out.weight",
                "gpt_neox.layers.0.attention.query_key_value.bias", "gpt_neox.layers.0.attention.dense.bias")
                .containsKey("gpt_neox.layers.0.mlp.dense_h_to_4h.bias");

        // EleutherAI/pythia-70m's config.json: 70,426,624 parameters as transformers counts them
        ModelConfig pythia70m = ModelConfig.parse("""
                {"architectures": ["GPTNeoXForCausalLM"], "bos_token_id": 0, "eos_token_id": 0,
                 "hidden_act": "gelu", "hidden_size": 512, "initializer_range": 0.02, "intermediate_size": 2048,
                 "layer_norm_eps": 1e-05, "max_position_embeddings": 2048, "model_type": "gpt_neox",
                 "num_attention_heads": 8, "num_hidden_layers": 6, "rotary_emb_base": 10000, "rotary_pct": 0.25,
                 "tie_word_embeddings": false, "torch_dtype": "float16", "transformers_version": "4.24.0",
                 "use_cache": true, "use_parallel_residual": true, "vocab_size": 50304}""", "config.json");
        assertThat(pythia70m.rotaryDim()).isEqualTo(16);
        assertThat(pythia70m.eosTokenId()).isZero();
        assertThat(WeightLayout.parameterCount(pythia70m)).isEqualTo(70_426_624L);
    }

    @ParameterizedTest(name = "parallel={0} rotary_pct={1} act={2} tied={3} attention_bias={4}")
    @CsvSource({
        "true,  0.25, gelu,              false, true",
        "false, 0.25, gelu,              false, true",
        "true,  1.0,  gelu,              true,  true",
        "false, 1.0,  gelu_new,          false, false",
        "true,  0.5,  relu,              false, true",
        "false, 0.5,  gelu_pytorch_tanh, true,  false",
        "true,  0.25, silu,              false, false",
    })
    void logitsMatchAnIndependentForwardPass(boolean parallel, String rotaryPct, String act, boolean tie,
                                             boolean attentionBias) throws IOException {
        Path dir = checkpoint("ref", config(2, rotaryPct, parallel, act, tie, attentionBias), 5);
        long[] ids = {7, 1, 38, 20, 20, 9, 0, 31};
        try (DecoderModel model = HfModelLoader.load(dir, Device.cpu());
             NDManager m = NDManager.newBaseManager(Device.cpu())) {
            float[] actual = model.forward(m.create(ids, new Shape(1, ids.length)), null).toFloatArray();
            double[] expected = reference(model.config(), model.parameters(), ids, true);
            double largest = FamilyChecks.maxAbs(expected);
            assertThat(largest).isGreaterThan(1.0);
            assertThat(FamilyChecks.maxAbsDiff(expected, actual)).isLessThan(2e-5 * largest);
            if (parallel && rotaryPct.equals("0.25")) {
                // the test can tell the layouts apart: reading the fused rows as [q; k; v] is far off
                double[] blocked = reference(model.config(), model.parameters(), ids, false);
                assertThat(FamilyChecks.maxAbsDiff(blocked, actual)).isGreaterThan(0.1 * largest);
            }
        }
    }

    @Test
    void saveKeepsTheSourceBytesAndDropsTheOldAttentionBuffers() throws IOException {
        String configJson = pythiaLike(2);
        ModelConfig c = ModelConfig.parse(configJson, "config.json");
        Path source = tmp.resolve("source");
        Files.createDirectories(source);
        Files.writeString(source.resolve("config.json"), configJson);
        Map<String, float[]> written = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            RandomWeights.draw(c, m, 9, 0.3).forEach((name, array) -> written.put(name, array.toFloatArray()));
        }
        writeWithOldBuffers(source.resolve("model.safetensors"), c, written);

        ObjectNode json = FamilyChecks.saveKeepsTheSourceBits(source, written, tmp);
        assertThat(json.get("architectures").get(0).asText()).isEqualTo("GPTNeoXForCausalLM");
        assertThat(json.get("model_type").asText()).isEqualTo("gpt_neox");
        assertThat(json.get("rotary_pct").asDouble()).isEqualTo(0.25);
        assertThat(json.get("rotary_emb_base").asDouble()).isEqualTo(10000.0);
        assertThat(json.get("use_parallel_residual").asBoolean()).isTrue();
        assertThat(json.get("hidden_act").asText()).isEqualTo("gelu");
        assertThat(json.get("layer_norm_eps").asDouble()).isEqualTo(1e-5);
        assertThat(json.get("attention_bias").asBoolean()).isTrue();
        assertThat(json.get("tie_word_embeddings").asBoolean()).isFalse();
        assertThat(json.get("intermediate_size").asInt()).isEqualTo(48);
        assertThat(json.get("eos_token_id").asInt()).isZero();
        // exactly GPTNeoXForCausalLM's parameters (no buffers): the fused weight kept whole
        try (SafetensorsReader r = SafetensorsReader.open(tmp.resolve("saved").resolve("model.safetensors"))) {
            assertThat(r.entries()).doesNotContainKey("gpt_neox.layers.0.attention.bias");
            assertThat(r.entry("gpt_neox.layers.0.attention.query_key_value.weight").djlShape())
                    .isEqualTo(new Shape(96, 32));
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "gelu_fast       | \"hidden_act\": \"gelu_fast\"                       | gpt_neox hidden_act 'gelu_fast' is not supported",
        "odd rotary dims | \"rotary_pct\": 0.375                               | rotary dims int(head_size 8 * rotary_pct 0.375) = 3 is not supported",
        "no rotary       | \"rotary_pct\": 0.0                                 | rotary_pct must be in (0, 1], got 0.0",
        "rope yarn       | \"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4.0} | rope_scaling.rope_type 'yarn' is not supported",
        "heads           | \"num_attention_heads\": 5                           | hidden_size (32) is not a multiple of num_attention_heads (5)",
    })
    void unsupportedSettingsAreRefusedWhenTheConfigIsRead(String name, String keys, String message) {
        String json = """
                {"model_type": "gpt_neox", "vocab_size": 40, "hidden_size": 32, "num_hidden_layers": 1,
                 "intermediate_size": 48, "max_position_embeddings": 32, %s%s}""".formatted(keys,
                keys.contains("num_attention_heads") ? "" : ", \"num_attention_heads\": 4");
        FamilyChecks.refusedWhenRead(json, message);
    }

    // ---- an independent double-precision GPT-NeoX forward pass, written from modeling_gpt_neox ----

    /**
     * Logits [t * vocab] for one sequence. {@code interleaved}: the fused rows are per head [q | k | v] as in
     * transformers; false reads them as [q; k; v] blocks (only to show that the test tells the two apart).
     */
    private static double[] reference(ModelConfig c, Map<String, NDArray> p, long[] ids, boolean interleaved) {
        int t = ids.length;
        int h = c.hiddenSize();
        int heads = c.numHeads();
        int hs = h / heads;
        int rotary = (int) (hs * c.partialRotaryFactor());
        double eps = c.normEps();
        double[][] x = ReferenceForward.embed(ReferenceForward.weight(p, "gpt_neox.embed_in.weight"), h, ids, 1);
        for (int layer = 0; layer < c.numLayers(); layer++) {
            String pre = "gpt_neox.layers." + layer + ".";
            double[][] ln1 = ReferenceForward.layerNorm(x, p, pre + "input_layernorm", eps);
            double[][] qkv = ReferenceForward.affine(ln1, p, pre + "attention.query_key_value", 3 * h);
            double[][] q = new double[t][h];
            double[][] k = new double[t][h];
            double[][] v = new double[t][h];
            for (int i = 0; i < t; i++) {
                for (int head = 0; head < heads; head++) {
                    for (int d = 0; d < hs; d++) {
                        if (interleaved) {
                            q[i][head * hs + d] = qkv[i][head * 3 * hs + d];
                            k[i][head * hs + d] = qkv[i][head * 3 * hs + hs + d];
                            v[i][head * hs + d] = qkv[i][head * 3 * hs + 2 * hs + d];
                        } else {
                            q[i][head * hs + d] = qkv[i][head * hs + d];
                            k[i][head * hs + d] = qkv[i][h + head * hs + d];
                            v[i][head * hs + d] = qkv[i][2 * h + head * hs + d];
                        }
                    }
                }
            }
            ReferenceForward.HeadAtPosition rope = (head, i) -> partialRope(head, rotary, i, c.ropeTheta());
            double[][] attended = ReferenceForward.causalAttention(q, k, v, heads, heads, hs,
                    ReferenceForward.Scores.plain(hs), rope, rope);
            double[][] attnOut = ReferenceForward.affine(attended, p, pre + "attention.dense", h);
            if (c.parallelResidual()) {
                double[][] mlp = mlp(ReferenceForward.layerNorm(x, p, pre + "post_attention_layernorm", eps), p, pre, c);
                ReferenceForward.add(x, attnOut);
                ReferenceForward.add(x, mlp);
            } else {
                ReferenceForward.add(x, attnOut);
                ReferenceForward.add(x, mlp(ReferenceForward.layerNorm(x, p, pre + "post_attention_layernorm", eps), p, pre, c));
            }
        }
        double[][] out = ReferenceForward.layerNorm(x, p, "gpt_neox.final_layer_norm", eps);
        String head = c.tieWordEmbeddings() ? "gpt_neox.embed_in.weight" : "embed_out.weight";
        return ReferenceForward.flatten(ReferenceForward.project(out, ReferenceForward.weight(p, head),
                c.vocabSize()));
    }

    /** dense_4h_to_h(act(dense_h_to_4h(x))). */
    private static double[][] mlp(double[][] x, Map<String, NDArray> p, String pre, ModelConfig c) {
        double[][] up = ReferenceForward.affine(x, p, pre + "mlp.dense_h_to_4h", c.intermediateSize());
        return ReferenceForward.affine(ReferenceForward.activate(up, c.hiddenAct()), p, pre + "mlp.dense_4h_to_h",
                c.hiddenSize());
    }

    /** RoPE (rotate_half over the first {@code rotary} dims, inv_freq = base^(-2i/rotary)); the rest unchanged. */
    private static double[] partialRope(double[] head, int rotary, int position, double base) {
        double[] rotated = ReferenceForward.rotate(ReferenceForward.slice(head, 0, rotary), position, base);
        double[] r = head.clone();
        System.arraycopy(rotated, 0, r, 0, rotary);
        return r;
    }

    @Test
    void referenceErfIsAccurate() {
        assertThat(ReferenceForward.erf(0.5)).isCloseTo(0.5204998778130465, within(1e-14));
        assertThat(ReferenceForward.erf(-1.0)).isCloseTo(-0.8427007929497149, within(1e-14));
        assertThat(ReferenceForward.erf(2.5)).isCloseTo(0.9995930479825550, within(1e-13));
        assertThat(ReferenceForward.erf(3.5)).isCloseTo(0.9999992569016276, within(1e-14));
    }

    /**
     * A safetensors file as an older transformers wrote GPT-NeoX: the parameters (F32) plus per layer the causal
     * mask buffer {@code attention.bias} (BOOL [1, 1, P, P]), {@code attention.masked_bias} (F32 scalar) and
     * {@code attention.rotary_emb.inv_freq} (F32).
     */
    private static void writeWithOldBuffers(Path file, ModelConfig c, Map<String, float[]> params) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        Map<String, Shape> layout = WeightLayout.of(c);
        for (Map.Entry<String, float[]> e : params.entrySet()) {
            putF32(header, data, e.getKey(), layout.get(e.getKey()).getShape(), e.getValue());
            if (e.getKey().endsWith("attention.dense.bias")) {
                String pre = e.getKey().substring(0, e.getKey().length() - "dense.bias".length());
                int n = c.maxPositions();
                byte[] mask = new byte[n * n];
                for (int i = 0; i < n; i++) {
                    Arrays.fill(mask, i * n, i * n + i + 1, (byte) 1);
                }
                put(header, data, pre + "bias", "BOOL", new long[] {1, 1, n, n}, mask);
                putF32(header, data, pre + "masked_bias", new long[0], new float[] {-1e9f});
                float[] inv = new float[c.rotaryDim() / 2];
                for (int i = 0; i < inv.length; i++) {
                    inv[i] = (float) Math.pow(c.ropeTheta(), -2.0 * i / c.rotaryDim());
                }
                putF32(header, data, pre + "rotary_emb.inv_freq", new long[] {inv.length}, inv);
            }
        }
        byte[] head = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + head.length + data.size()).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(head.length).put(head).put(data.toByteArray());
        Files.write(file, out.array());
    }

    private static void putF32(ObjectNode header, ByteArrayOutputStream data, String name, long[] shape,
                               float[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        put(header, data, name, "F32", shape, b.array());
    }

    private static void put(ObjectNode header, ByteArrayOutputStream data, String name, String dtype, long[] shape,
                            byte[] bytes) {
        ObjectNode entry = header.putObject(name);
        entry.put("dtype", dtype);
        Arrays.stream(shape).forEach(entry.putArray("shape")::add);
        long begin = data.size();
        data.writeBytes(bytes);
        entry.putArray("data_offsets").add(begin).add(data.size());
    }
}
