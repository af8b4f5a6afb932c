package dev.prefstream.trainer.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.TensorNames;

import java.util.List;

/** Mistral: Llama's graph with {@code sliding_window} (absent: 4096, null: none) on every layer. */
final class MistralFamily implements HfFamily {

    @Override
    public ModelConfig.Builder builder() {
        return ModelConfig.builder("mistral");
    }

    @Override
    public ModelConfig read(JsonNode n, String json) {
        boolean attentionBias = n.path("attention_bias").asBoolean(false);
        return LlamaStyle.readCommon(n, json, builder(), null, null, 1e-6)
                .tieWordEmbeddings(n.path("tie_word_embeddings").asBoolean(false))
                .qkvBias(attentionBias).outputBias(attentionBias).mlpBias(n.path("mlp_bias").asBoolean(false))
                .hiddenAct(LlamaStyle.siluActivation(n, "mistral"))
                .slidingWindow(LlamaStyle.everyLayerWindow(n, LlamaStyle.defaultWindow())).build();
    }

    @Override
    public void write(ModelConfig c, ObjectNode o) {
        LlamaStyle.writeCommon(c, o, "MistralForCausalLM");
        LlamaStyle.writeEveryLayerWindow(c, o);
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
