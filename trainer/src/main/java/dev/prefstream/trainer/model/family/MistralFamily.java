package dev.prefstream.trainer.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.ModelConfig;

/** Mistral: Llama's graph with {@code sliding_window} (absent: 4096, null: none) on every layer. */
final class MistralFamily extends LlamaStyleFamily {

    MistralFamily() {
        super("mistral", "MistralForCausalLM");
    }

    @Override
    void readDifferences(JsonNode n, ModelConfig.Builder b, int layers) {
        super.readDifferences(n, b, layers);
        b.slidingWindow(everyLayerWindow(n, defaultWindow()));
    }

    @Override
    void writeDifferences(ModelConfig c, ObjectNode o) {
        writeEveryLayerWindow(c, o);
    }
}
