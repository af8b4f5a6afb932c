package dev.prefstream.trainer.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.ModelConfig;

/**
 * Qwen3: Llama's graph with per-head RMSNorm of queries and keys ({@code self_attn.q_norm} / {@code k_norm}) before
 * RoPE, head_dim 128 when absent (not hidden / heads), {@code attention_bias} on q/k/v/o, Qwen's sliding window.
 */
final class Qwen3Family extends LlamaStyleFamily {

    Qwen3Family() {
        super("qwen3", "Qwen3ForCausalLM");
    }

    @Override
    ModelConfig.Builder builder() {
        return super.builder().qkNorm(true);
    }

    @Override
    Integer defaultHeadDim() {
        return 128;
    }

    @Override
    void readDifferences(JsonNode n, ModelConfig.Builder b, int layers) {
        super.readDifferences(n, b, layers);
        qwenWindow(n, b, layers);
    }

    @Override
    void writeDifferences(ModelConfig c, ObjectNode o) {
        writeQwenWindow(c, o);
    }
}
