package dev.prefstream.trainer.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.TensorNames;

import java.util.List;

/**
 * Llama (and SmolLM): RMSNorm, SwiGLU, grouped-query attention, RoPE (default, linear or llama3 frequencies),
 * {@code attention_bias} on q/k/v/o, {@code mlp_bias}, untied head by default. No sliding window (a
 * {@code sliding_window} key is ignored, as transformers does).
 */
final class LlamaFamily implements HfFamily {

    @Override
    public ModelConfig.Builder builder() {
        return ModelConfig.builder("llama");
    }

    @Override
    public ModelConfig read(JsonNode n, String json) {
        boolean attentionBias = n.path("attention_bias").asBoolean(false);
        return LlamaStyle.readCommon(n, json, builder(), null, null, 1e-6)
                .tieWordEmbeddings(n.path("tie_word_embeddings").asBoolean(false))
                .qkvBias(attentionBias).outputBias(attentionBias).mlpBias(n.path("mlp_bias").asBoolean(false))
                .hiddenAct(LlamaStyle.siluActivation(n, "llama")).build();
    }

    @Override
    public void write(ModelConfig c, ObjectNode o) {
        LlamaStyle.writeCommon(c, o, "LlamaForCausalLM");
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
