package dev.prefstream.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prefstream.trainer.model.family.ModelFamily;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Phi-3 (Phi3ForCausalLM) is the Llama computation with q/k/v and gate/up stored fused. A random Llama-layout model
 * is written twice: as a llama checkpoint and, with its rows concatenated by this test (q, k, v; gate, up), as a
 * phi3 checkpoint. Both must give the same logits; saving the phi3 model must write the fused tensors back
 * bit-exactly; a missing fused tensor is named.
 */
class Phi3Test {

    private static final String PHI3_CONFIG = """
            {
              "architectures": ["Phi3ForCausalLM"],
              "model_type": "phi3",
              "vocab_size": 40,
              "hidden_size": 16,
              "num_hidden_layers": 2,
              "num_attention_heads": 4,
              "num_key_value_heads": 2,
              "intermediate_size": 24,
              "max_position_embeddings": 32,
              "original_max_position_embeddings": 32,
              "rms_norm_eps": 1e-05,
              "rope_theta": 10000.0,
              "rope_scaling": null,
              "hidden_act": "silu",
              "attention_dropout": 0.0,
              "embd_pdrop": 0.0,
              "resid_pdrop": 0.0,
              "sliding_window": %s,
              "tie_word_embeddings": false,
              "torch_dtype": "float32",
              "bos_token_id": 1,
              "eos_token_id": 3,
              "pad_token_id": 3
            }""";

    /** The Llama architecture the phi3 config above describes. */
    private static final ModelConfig LLAMA = ModelConfig.llama(40, 16, 2, 4, 2, 24, 32, false, 3);

    @TempDir
    Path tmp;

    /** Writes {@code weights} (Llama names) as a phi3 checkpoint, fusing rows with plain float arrays. */
    private Path phi3Checkpoint(String name, String window, Map<String, NDArray> weights, NDManager m,
                                String... drop) throws IOException {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), PHI3_CONFIG.formatted(window));
        Map<String, NDArray> stored = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : weights.entrySet()) {
            String n = e.getKey();
            if (n.endsWith("self_attn.q_proj.weight")) {
                String p = n.substring(0, n.length() - "q_proj.weight".length());
                stored.put(p + "qkv_proj.weight", stackRows(m, weights.get(p + "q_proj.weight"),
                        weights.get(p + "k_proj.weight"), weights.get(p + "v_proj.weight")));
            } else if (n.endsWith("mlp.gate_proj.weight")) {
                String p = n.substring(0, n.length() - "gate_proj.weight".length());
                stored.put(p + "gate_up_proj.weight",
                        stackRows(m, weights.get(p + "gate_proj.weight"), weights.get(p + "up_proj.weight")));
            } else if (!n.matches(".*(k_proj|v_proj|up_proj)\\.weight")) {
                stored.put(n, e.getValue());
            }
        }
        for (String d : drop) {
            assertThat(stored.remove(d)).as(d).isNotNull();
        }
        SafetensorsWriter.write(dir.resolve("model.safetensors"), stored);
        return dir;
    }

    private static NDArray stackRows(NDManager m, NDArray... parts) {
        long cols = parts[0].getShape().get(1);
        long rows = 0;
        for (NDArray p : parts) {
            rows += p.getShape().get(0);
        }
        float[] all = new float[Math.toIntExact(rows * cols)];
        int at = 0;
        for (NDArray p : parts) {
            float[] v = p.toFloatArray();
            System.arraycopy(v, 0, all, at, v.length);
            at += v.length;
        }
        return m.create(all, new Shape(rows, cols));
    }

    private Path llamaCheckpoint(String name, ModelConfig c, Map<String, NDArray> weights) throws IOException {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), c.toJson());
        SafetensorsWriter.write(dir.resolve("model.safetensors"), weights);
        return dir;
    }

    @Test
    void configIsTheLlamaArchitectureWithFusedProjections() {
        ModelConfig c = ModelConfig.parse(PHI3_CONFIG.formatted("null"), "config.json");
        assertThat(ModelFamily.of(c).names().fusions()).isNotEmpty();
        assertThat(c.headDim()).isEqualTo(4);
        assertThat(c.tieWordEmbeddings()).isFalse();
        assertThat(c.qkvBias() || c.outputBias() || c.mlpBias()).isFalse();
        assertThat(c.slidingWindow()).isNull();
        assertThat(WeightLayout.of(c)).isEqualTo(WeightLayout.of(LLAMA));
        ModelConfig windowed = ModelConfig.parse(PHI3_CONFIG.formatted("2047"), "config.json");
        assertThat(windowed.slidingWindow()).isEqualTo(2047);
        assertThat(windowed.slidingWindowAt(0)).isTrue();
        assertThat(windowed.slidingWindowAt(1)).isTrue();
        // Phi3ForCausalLM has no biases at all: an attention_bias key does not add any
        ModelConfig biased = ModelConfig.parse(PHI3_CONFIG.formatted("null").replace("\"attention_dropout\"",
                "\"attention_bias\": true, \"mlp_bias\": true, \"attention_dropout\""), "config.json");
        assertThat(biased.qkvBias() || biased.outputBias() || biased.mlpBias()).isFalse();
    }

    @Test
    void fusedCheckpointGivesTheLlamaLogits() throws IOException {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Map<String, NDArray> weights = RandomWeights.draw(LLAMA, m, 21, 0.3);
            Path llama = llamaCheckpoint("llama", LLAMA, weights);
            Path phi3 = phi3Checkpoint("phi3", "null", weights, m);
            NDArray ids = m.create(new long[] {7, 1, 38, 20, 20, 9, 4, 33, 2, 2, 15, 0}, new Shape(2, 6));
            NDArray mask = m.create(new long[] {1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1}, new Shape(2, 6));
            try (DecoderModel a = HfModelLoader.load(llama, Device.cpu());
                 DecoderModel b = HfModelLoader.load(phi3, Device.cpu())) {
                assertThat(b.config().modelType()).isEqualTo("phi3");
                assertThat(b.parameters().keySet()).containsExactlyElementsOf(a.parameters().keySet());
                for (String name : a.parameters().keySet()) {
                    assertThat(b.parameters().get(name).toFloatArray()).as(name)
                            .isEqualTo(a.parameters().get(name).toFloatArray());
                }
                float[] expected = a.forward(ids, mask).toFloatArray();
                float[] actual = b.forward(ids, mask).toFloatArray();
                assertThat(actual).containsExactly(expected);
                assertThat(maxAbs(expected)).isGreaterThan(0.5f);     // not a degenerate all-zero output
            }
        }
    }

    @Test
    void slidingWindowMasksLikeMistral() throws IOException {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Map<String, NDArray> weights = RandomWeights.draw(LLAMA, m, 4, 0.3);
            ModelConfig mistral = ModelFamily.MISTRAL.builder().vocabSize(40).hiddenSize(16).numLayers(2)
                    .numHeads(4).numKvHeads(2).headDim(4).intermediateSize(24).maxPositions(32).normEps(1e-5)
                    .bosTokenId(3).eosTokenId(3).slidingWindow(3).build();
            Path reference = llamaCheckpoint("mistral-w3", mistral, weights);
            Path windowed = phi3Checkpoint("phi3-w3", "3", weights, m);
            Path full = phi3Checkpoint("phi3-full", "null", weights, m);
            NDArray ids = m.create(new long[] {5, 9, 13, 2, 30, 31, 8, 8}, new Shape(1, 8));
            try (DecoderModel a = HfModelLoader.load(reference, Device.cpu());
                 DecoderModel b = HfModelLoader.load(windowed, Device.cpu());
                 DecoderModel c = HfModelLoader.load(full, Device.cpu())) {
                float[] expected = a.forward(ids, null).toFloatArray();
                assertThat(b.forward(ids, null).toFloatArray()).containsExactly(expected);
                float[] unwindowed = c.forward(ids, null).toFloatArray();
                // the first 3 positions see everything either way; later ones lose their oldest keys
                int v = 40;
                assertThat(maxAbsDiff(expected, unwindowed, 0, 3 * v)).isEqualTo(0f);
                assertThat(maxAbsDiff(expected, unwindowed, 3 * v, 8 * v)).isGreaterThan(1e-3f);
            }
        }
    }

    @Test
    void saveWritesFusedTensorsAndReloadsBitExact() throws IOException {
        Path source;
        Map<String, float[]> written = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            source = phi3Checkpoint("source", "7", RandomWeights.draw(LLAMA, m, 9, 0.3), m);
        }
        try (SafetensorsReader r = SafetensorsReader.open(source.resolve("model.safetensors"));
             NDManager m = NDManager.newBaseManager(Device.cpu())) {
            for (String name : r.entries().keySet()) {
                written.put(name, r.read(name, m).toFloatArray());
            }
        }
        try (DecoderModel model = HfModelLoader.load(source, Device.cpu())) {
            Path saved = tmp.resolve("saved");
            int before = model.manager().getManagedArrays().size();
            HfModelSaver.save(model, saved, null);
            // the fused copies were scratch: nothing stays behind in the model's manager
            assertThat(model.manager().getManagedArrays()).hasSize(before);
            String json = Files.readString(saved.resolve("config.json"));
            assertThat(json).contains("\"Phi3ForCausalLM\"").contains("\"model_type\" : \"phi3\"")
                    .contains("\"sliding_window\" : 7").contains("\"original_max_position_embeddings\" : 32");
            try (SafetensorsReader r = SafetensorsReader.open(saved.resolve("model.safetensors"));
                 NDManager m = NDManager.newBaseManager(Device.cpu())) {
                // exactly the tensors Phi3ForCausalLM has, with the bytes the source checkpoint had
                assertThat(r.entries().keySet()).containsExactlyInAnyOrderElementsOf(written.keySet());
                assertThat(r.entries().keySet()).contains("model.layers.1.self_attn.qkv_proj.weight",
                        "model.layers.1.mlp.gate_up_proj.weight", "lm_head.weight")
                        .noneMatch(n -> n.contains("q_proj") || n.contains("gate_proj"));
                assertThat(r.entry("model.layers.0.self_attn.qkv_proj.weight").djlShape())
                        .isEqualTo(new Shape(16 + 8 + 8, 16));
                assertThat(r.entry("model.layers.0.mlp.gate_up_proj.weight").djlShape()).isEqualTo(new Shape(48, 16));
                for (String name : written.keySet()) {
                    assertThat(r.read(name, m).toFloatArray()).as(name).containsExactly(written.get(name));
                }
            }
            try (DecoderModel back = HfModelLoader.load(saved, Device.cpu())) {
                assertThat(back.config().withoutSource()).isEqualTo(model.config().withoutSource());
                SaveLoadRoundTripTest.assertBitIdentical(model, back);
            }
        }
    }

    @Test
    void aMissingFusedTensorIsNamed() throws IOException {
        Path dir;
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            dir = phi3Checkpoint("no-qkv", "null", RandomWeights.draw(LLAMA, m, 2, 0.3), m,
                    "model.layers.1.self_attn.qkv_proj.weight");
        }
        assertThatThrownBy(() -> HfModelLoader.load(dir, Device.cpu()))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("model.safetensors")
                .hasMessageContaining("missing tensor model.layers.1.self_attn.qkv_proj.weight")
                .hasMessageContaining("phi3");
    }

    @Test
    void aFusedTensorOfTheWrongHeightIsNamed() throws IOException {
        Path dir;
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            dir = phi3Checkpoint("short-gate-up", "null", RandomWeights.draw(LLAMA, m, 2, 0.3), m,
                    "model.layers.0.mlp.gate_up_proj.weight");
            Map<String, NDArray> stored = new LinkedHashMap<>();
            try (SafetensorsReader r = SafetensorsReader.open(dir.resolve("model.safetensors"))) {
                for (String name : r.entries().keySet()) {
                    stored.put(name, r.read(name, m));
                }
            }
            stored.put("model.layers.0.mlp.gate_up_proj.weight", m.zeros(new Shape(24, 16)));   // gate only
            SafetensorsWriter.write(dir.resolve("model.safetensors"), stored);
        }
        assertThatThrownBy(() -> HfModelLoader.load(dir, Device.cpu()))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("model.layers.0.mlp.gate_up_proj.weight has shape (24, 16), expected (48, 16)");
    }

    private static float maxAbs(float[] a) {
        float d = 0;
        for (float v : a) {
            d = Math.max(d, Math.abs(v));
        }
        return d;
    }

    private static float maxAbsDiff(float[] a, float[] b, int from, int to) {
        float d = 0;
        for (int i = from; i < to; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }
}
