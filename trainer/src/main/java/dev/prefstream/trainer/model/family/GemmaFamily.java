package dev.prefstream.trainer.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.ModelConfig.NormKind;
import dev.prefstream.trainer.model.TensorNames;

/**
 * Gemma (v1): Llama's names with RMSNorm scaled by (1 + w) in float32, embeddings times sqrt(hidden_size), GeGLU with
 * the tanh gelu, head_dim 256 when absent, tied head by default, {@code attention_bias} only (no MLP biases).
 */
class GemmaFamily extends LlamaStyleFamily {

    GemmaFamily() {
        this("gemma", "GemmaForCausalLM", NAMES);
    }

    /** A Gemma derivative (Gemma 2) with its own type, architecture and names. */
    GemmaFamily(String modelType, String architecture, TensorNames names) {
        super(modelType, architecture, names);
    }

    @Override
    ModelConfig.Builder builder() {
        return super.builder().normKind(NormKind.RMS_NORM_UNIT_OFFSET).hiddenAct("gelu_pytorch_tanh")
                .scaleEmbeddings(true).tieWordEmbeddings(true);
    }

    @Override
    Integer defaultHeadDim() {
        return 256;
    }

    @Override
    boolean defaultTie() {
        return true;
    }

    @Override
    void readDifferences(JsonNode n, ModelConfig.Builder b, int layers) {
        boolean attentionBias = n.path("attention_bias").asBoolean(false);
        b.qkvBias(attentionBias).outputBias(attentionBias).hiddenAct(gemmaActivation(n, modelType()));
    }

    @Override
    void writeDifferences(ModelConfig c, ObjectNode o) {
        o.put("hidden_act", c.hiddenAct());
        o.put("hidden_activation", c.hiddenAct());     // what transformers 4.38-4.4x read
    }
}
