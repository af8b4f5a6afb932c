package dev.prefstream.trainer.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.ModelConfig;

/**
 * Qwen2 / Qwen2.5: Llama's graph with biases on q/k/v always and never on o (Qwen2 has no attention_bias key), and
 * Qwen's sliding window ({@code use_sliding_window}, from {@code max_window_layers} on).
 */
final class Qwen2Family extends LlamaStyleFamily {

    Qwen2Family() {
        super("qwen2", "Qwen2ForCausalLM");
    }

    @Override
    ModelConfig.Builder builder() {
        return super.builder().qkvBias(true);
    }

    @Override
    void readDifferences(JsonNode n, ModelConfig.Builder b, int layers) {
        b.mlpBias(n.path("mlp_bias").asBoolean(false)).hiddenAct(siluActivation(n, modelType()));
        qwenWindow(n, b, layers);
    }

    @Override
    void writeDifferences(ModelConfig c, ObjectNode o) {
        writeQwenWindow(c, o);
    }

    @Override
    boolean hasAttentionBiasKey() {
        return false;
    }
}
