package dev.prefstream.trainer.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.TensorNames;

import java.util.List;

/**
 * Qwen3: Llama's graph with per-head RMSNorm of queries and keys ({@code self_attn.q_norm} / {@code k_norm}) before
 * RoPE, head_dim 128 when absent (not hidden / heads), {@code attention_bias} on q/k/v/o, Qwen's sliding window.
 */
final class Qwen3Family implements HfFamily {

    @Override
    public ModelConfig.Builder builder() {
        return ModelConfig.builder("qwen3").qkNorm(true);
    }

    @Override
    public ModelConfig read(JsonNode n, String json) {
        boolean attentionBias = n.path("attention_bias").asBoolean(false);
        ModelConfig.Builder b = LlamaStyle.readCommon(n, json, builder(), 128, null, 1e-6)
                .tieWordEmbeddings(n.path("tie_word_embeddings").asBoolean(false))
                .qkvBias(attentionBias).outputBias(attentionBias).mlpBias(n.path("mlp_bias").asBoolean(false))
                .hiddenAct(LlamaStyle.siluActivation(n, "qwen3"));
        return LlamaStyle.qwenWindow(n, b, ConfigKeys.requiredInt(n, "num_hidden_layers")).build();
    }

    @Override
    public void write(ModelConfig c, ObjectNode o) {
        LlamaStyle.writeCommon(c, o, "Qwen3ForCausalLM");
        LlamaStyle.writeQwenWindow(c, o);
        LlamaStyle.writeTail(c, o, true);
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
