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
 * model keeps them split under Llama's names, the loader splits and the saver fuses them again. LoRA refuses such
 * checkpoints (a PEFT adapter of the split projections would not load onto the fused ones).
 */
final class Phi3Family extends LlamaStyleFamily {

    private static final TensorNames FUSED_NAMES = NAMES.withFusions(List.of(
            new TensorNames.Fusion("self_attn.qkv_proj", List.of(Part.Q, Part.K, Part.V)),
            new TensorNames.Fusion("mlp.gate_up_proj", List.of(Part.MLP_GATE, Part.MLP_UP))));

    Phi3Family() {
        super("phi3", "Phi3ForCausalLM", FUSED_NAMES);
    }

    @Override
    ModelConfig.Builder builder() {
        return super.builder().normEps(1e-5);
    }

    @Override
    double defaultEps() {
        return 1e-5;
    }

    @Override
    void readDifferences(JsonNode n, ModelConfig.Builder b, int layers) {
        b.hiddenAct(siluActivation(n, modelType())).slidingWindow(everyLayerWindow(n, null));
    }

    @Override
    void writeDifferences(ModelConfig c, ObjectNode o) {
        writeEveryLayerWindow(c, o);
    }
}
