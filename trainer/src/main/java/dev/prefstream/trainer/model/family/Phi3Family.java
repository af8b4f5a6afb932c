package dev.prefstream.trainer.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.Part;
import dev.prefstream.trainer.model.TensorNames;

import java.util.List;

/**
 * Phi-3 (Phi3ForCausalLM): Llama's graph without any biases (whatever the config says), rms_norm_eps 1e-5 by
 * default, an optional {@code sliding_window} on every layer (absent: none). Its checkpoints store q/k/v fused as
 * {@code self_attn.qkv_proj} (rows q, then k, then v) and gate/up as {@code mlp.gate_up_proj} (gate first); the
 * model keeps them split under Llama's names, the loader splits and the saver fuses them again.
 */
final class Phi3Family implements HfFamily {

    private static final TensorNames NAMES = LlamaStyle.NAMES.withFusions(List.of(
            new TensorNames.Fusion("self_attn.qkv_proj", List.of(Part.Q, Part.K, Part.V)),
            new TensorNames.Fusion("mlp.gate_up_proj", List.of(Part.MLP_GATE, Part.MLP_UP))));

    @Override
    public ModelConfig.Builder builder() {
        return ModelConfig.builder("phi3").normEps(1e-5);
    }

    @Override
    public ModelConfig read(JsonNode n, String json) {
        return LlamaStyle.readCommon(n, json, builder(), null, null, 1e-5)
                .tieWordEmbeddings(n.path("tie_word_embeddings").asBoolean(false))
                .hiddenAct(LlamaStyle.siluActivation(n, "phi3"))
                .slidingWindow(LlamaStyle.everyLayerWindow(n, null)).build();
    }

    @Override
    public void write(ModelConfig c, ObjectNode o) {
        LlamaStyle.writeCommon(c, o, "Phi3ForCausalLM");
        LlamaStyle.writeEveryLayerWindow(c, o);
        LlamaStyle.writeTail(c, o, true);
    }

    @Override
    public TensorNames names() {
        return NAMES;
    }

    /** Llama's names; LoRA refuses fused checkpoints anyway (a PEFT adapter of split projections would not load). */
    @Override
    public List<String> loraTargets() {
        return LlamaStyle.LORA_TARGETS;
    }
}
