package dev.prefstream.trainer.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.TensorNames;

import java.util.List;

/**
 * Qwen2 / Qwen2.5: Llama's graph with biases on q/k/v always and never on o (Qwen2 has no attention_bias key), and
 * Qwen's sliding window ({@code use_sliding_window}, from {@code max_window_layers} on).
 */
final class Qwen2Family implements HfFamily {

    @Override
    public ModelConfig.Builder builder() {
        return ModelConfig.builder("qwen2").qkvBias(true);
    }

    @Override
    public ModelConfig read(JsonNode n, String json) {
        ModelConfig.Builder b = LlamaStyle.readCommon(n, json, builder(), null, null, 1e-6)
                .tieWordEmbeddings(n.path("tie_word_embeddings").asBoolean(false))
                .mlpBias(n.path("mlp_bias").asBoolean(false))
                .hiddenAct(LlamaStyle.siluActivation(n, "qwen2"));
        return LlamaStyle.qwenWindow(n, b, ConfigKeys.requiredInt(n, "num_hidden_layers")).build();
    }

    @Override
    public void write(ModelConfig c, ObjectNode o) {
        LlamaStyle.writeCommon(c, o, "Qwen2ForCausalLM");
        LlamaStyle.writeQwenWindow(c, o);
        LlamaStyle.writeTail(c, o, false);
    }

    @Override
    public TensorNames names() {
        return LlamaStyle.NAMES;
    }

    @Override
    public List<String> loraTargets() {
        return LlamaStyle.LORA_TARGETS;
    }
}
