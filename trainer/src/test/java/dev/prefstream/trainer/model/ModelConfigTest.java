package dev.prefstream.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prefstream.trainer.model.family.ModelFamily;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** config.json parsing for each supported family, validation messages, and HF-compatible output. */
class ModelConfigTest {

    @TempDir
    Path tmp;

    @Test
    void readsTheFixtureConfigsOfBothFamilies() {
        ModelConfig gpt2 = ModelConfig.read(Fixtures.dir("gpt2").resolve("policy/config.json"));
        assertThat(ModelFamily.of(gpt2)).isEqualTo(ModelFamily.GPT2);
        assertThat(gpt2.hiddenSize()).isEqualTo(64);
        assertThat(gpt2.intermediateSize()).isEqualTo(256);          // n_inner null -> 4 x n_embd
        assertThat(gpt2.maxPositions()).isEqualTo(128);
        assertThat(gpt2.normEps()).isEqualTo(1e-5);
        assertThat(gpt2.tieWordEmbeddings()).isTrue();
        assertThat(gpt2.eosTokenId()).isZero();

        ModelConfig llama = ModelConfig.read(Fixtures.dir("llama").resolve("policy/config.json"));
        assertThat(ModelFamily.of(llama)).isEqualTo(ModelFamily.LLAMA);
        assertThat(llama.numKvHeads()).isEqualTo(2);
        assertThat(llama.groupSize()).isEqualTo(2);
        assertThat(llama.headDim()).isEqualTo(16);
        assertThat(llama.ropeTheta()).isEqualTo(10000.0);            // from rope_parameters (transformers 5)
        assertThat(llama.normEps()).isEqualTo(1e-6);
        assertThat(llama.tieWordEmbeddings()).isFalse();
        assertThat(llama.qkvBias()).isFalse();
    }

    @Test
    void qwen2HasQkvBiasesButNoOutputBiasAndTopLevelRopeTheta() {
        ModelConfig c = ModelConfig.parse("""
                {"model_type": "qwen2", "vocab_size": 300, "hidden_size": 32, "num_hidden_layers": 1,
                 "num_attention_heads": 4, "num_key_value_heads": 1, "intermediate_size": 64,
                 "max_position_embeddings": 64, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
                 "tie_word_embeddings": true, "hidden_act": "silu", "eos_token_id": [5, 6]}""", "qwen/config.json");
        assertThat(c.qkvBias()).isTrue();
        assertThat(c.outputBias()).isFalse();
        assertThat(c.ropeTheta()).isEqualTo(1e6);
        assertThat(c.eosTokenId()).isEqualTo(5);
        Map<String, Shape> layout = WeightLayout.of(c);
        assertThat(layout).containsEntry("model.layers.0.self_attn.q_proj.bias", new Shape(32))
                .containsEntry("model.layers.0.self_attn.k_proj.bias", new Shape(8))
                .doesNotContainKey("model.layers.0.self_attn.o_proj.bias")
                .doesNotContainKey("lm_head.weight");
    }

    @Test
    void llamaAttentionBiasAddsBiasesToAllFourProjections() {
        ModelConfig c = ModelConfig.parse("""
                {"model_type": "llama", "vocab_size": 100, "hidden_size": 32, "num_hidden_layers": 1,
                 "num_attention_heads": 4, "intermediate_size": 64, "max_position_embeddings": 64,
                 "attention_bias": true, "mlp_bias": true}""", "config.json");
        assertThat(c.numKvHeads()).isEqualTo(4);                     // default: no grouping
        assertThat(WeightLayout.of(c)).containsKeys("model.layers.0.self_attn.o_proj.bias",
                "model.layers.0.mlp.down_proj.bias", "lm_head.weight");
    }

    @Test
    void biasesTakePartInTheForwardPassAndSurviveSaveAndLoad() {
        ModelConfig c = ModelConfig.parse("""
                {"model_type": "qwen2", "vocab_size": 50, "hidden_size": 32, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 48,
                 "max_position_embeddings": 32, "tie_word_embeddings": false, "eos_token_id": 1}""", "config.json");
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
             DecoderModel model = ModelPresets.initialize(c, root.newSubManager(), 11)) {
            NDArray input = root.create(new long[] {3, 4, 5, 6}, new Shape(1, 4));
            float[] before = model.forward(input, null).toFloatArray();
            NDArray qBias = model.parameters().get("model.layers.0.self_attn.q_proj.bias");
            qBias.set(ai.djl.ndarray.index.NDIndex.sliceAxis(0, 0, 32), 0.5f);
            float[] after = model.forward(input, null).toFloatArray();
            assertThat(after).isNotEqualTo(before);
            HfModelSaver.save(model, tmp.resolve("qwen"), null);
            try (DecoderModel reloaded = HfModelLoader.load(tmp.resolve("qwen"), Device.cpu())) {
                assertThat(reloaded.config().modelType()).isEqualTo("qwen2");
                SaveLoadRoundTripTest.assertBitIdentical(model, reloaded);
            }
        }
    }

    @Test
    void toJsonIsReadBackToTheSameArchitecture() {
        for (String preset : ModelPresets.names()) {
            ModelConfig c = ModelPresets.config(preset);
            ModelConfig back = ModelConfig.parse(c.toJson(), "config.json");
            assertThat(back.toString()).isEqualTo(c.toString());
            assertThat(back.withoutSource()).isEqualTo(c);
        }
        String json = ModelPresets.config(ModelPresets.TINY).toJson();
        assertThat(json).contains("\"architectures\" : [ \"LlamaForCausalLM\" ]").contains("\"num_key_value_heads\" : 2")
                .contains("\"rope_theta\" : 10000.0").contains("\"tie_word_embeddings\" : true");
        assertThat(ModelPresets.config(ModelPresets.TINY_GPT2).toJson()).contains("\"GPT2LMHeadModel\"")
                .contains("\"n_embd\" : 128").contains("\"attn_pdrop\" : 0.0");
    }

    @Test
    void invalidConfigsNameTheFileAndTheKey() {
        assertThatThrownBy(() -> ModelConfig.parse("{\"model_type\": \"falcon\"}", "x/config.json"))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith("x/config.json: unsupported model_type 'falcon'");
        assertThatThrownBy(() -> ModelConfig.parse("{\"model_type\": \"llama\", \"vocab_size\": 10}", "x/config.json"))
                .hasMessageStartingWith("x/config.json: missing required key hidden_size");
        assertThatThrownBy(() -> ModelConfig.parse("""
                {"model_type": "llama", "vocab_size": 100, "hidden_size": 32, "num_hidden_layers": 1,
                 "num_attention_heads": 4, "intermediate_size": 64, "max_position_embeddings": 64,
                 "rope_scaling": {"rope_type": "yarn", "factor": 8.0}}""", "x/config.json"))
                .hasMessageContaining("x/config.json").hasMessageContaining("'yarn'");
        assertThatThrownBy(() -> ModelConfig.parse("""
                {"model_type": "llama", "vocab_size": 100, "hidden_size": 32, "num_hidden_layers": 1,
                 "num_attention_heads": 4, "intermediate_size": 64, "max_position_embeddings": 64,
                 "hidden_act": "gelu"}""", "x/config.json"))
                .hasMessageContaining("hidden_act 'gelu'");
        assertThatThrownBy(() -> ModelConfig.parse("not json", "x/config.json"))
                .hasMessageStartingWith("x/config.json: not valid JSON");
    }
}
