package dev.prefstream.trainer.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.ModelConfig.NormKind;
import dev.prefstream.trainer.model.TensorNames;

import java.util.List;

/**
 * Gemma (v1): Llama's names with RMSNorm scaled by (1 + w) in float32, embeddings times sqrt(hidden_size), GeGLU with
 * the tanh gelu, head_dim 256 when absent, tied head by default, {@code attention_bias} only (no MLP biases).
 */
final class GemmaFamily implements HfFamily {

    @Override
    public ModelConfig.Builder builder() {
        return ModelConfig.builder("gemma").normKind(NormKind.RMS_NORM_UNIT_OFFSET).hiddenAct("gelu_pytorch_tanh")
                .scaleEmbeddings(true).tieWordEmbeddings(true);
    }

    @Override
    public ModelConfig read(JsonNode n, String json) {
        boolean attentionBias = n.path("attention_bias").asBoolean(false);
        return LlamaStyle.readCommon(n, json, builder(), 256, null, 1e-6)
                .tieWordEmbeddings(n.path("tie_word_embeddings").asBoolean(true))
                .qkvBias(attentionBias).outputBias(attentionBias)
                .hiddenAct(LlamaStyle.gemmaActivation(n, "gemma")).build();
    }

    @Override
    public void write(ModelConfig c, ObjectNode o) {
        LlamaStyle.writeCommon(c, o, "GemmaForCausalLM");
        o.put("hidden_act", c.hiddenAct());
        o.put("hidden_activation", c.hiddenAct());     // what transformers 4.38-4.4x read
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
