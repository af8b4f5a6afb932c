package dev.prefstream.trainer.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.ModelConfig.MlpKind;
import dev.prefstream.trainer.model.ModelConfig.NormKind;
import dev.prefstream.trainer.model.ModelConfig.Positions;
import dev.prefstream.trainer.model.ModelConfig.QkvLayout;
import dev.prefstream.trainer.model.ModelFormatException;
import dev.prefstream.trainer.model.Part;
import dev.prefstream.trainer.model.TensorNames;

import java.util.List;

import static dev.prefstream.trainer.model.family.ConfigKeys.firstId;
import static dev.prefstream.trainer.model.family.ConfigKeys.optionalInt;
import static dev.prefstream.trainer.model.family.ConfigKeys.requiredInt;

/**
 * GPT-2 (GPT2LMHeadModel): learned positions, LayerNorm with bias, Conv1D projections ([in, out], {@code x @ W + b})
 * with a fused {@code c_attn}, plain MLP with the tanh gelu, every projection biased, head tied to {@code wte}.
 */
final class Gpt2Family extends HfFamily {

    private static final TensorNames NAMES = TensorNames.builder("transformer.", "transformer.h.")
            .before(Part.TOKEN_EMBEDDING, "transformer.wte")
            .before(Part.POSITION_EMBEDDING, "transformer.wpe")
            .layer(Part.ATTN_NORM, "ln_1")
            .layer(Part.QKV, "attn.c_attn")
            .layer(Part.ATTN_OUT, "attn.c_proj")
            .layer(Part.MLP_NORM, "ln_2")
            .layer(Part.MLP_UP, "mlp.c_fc")
            .layer(Part.MLP_DOWN, "mlp.c_proj")
            .after(Part.FINAL_NORM, "transformer.ln_f")
            .build();

    Gpt2Family() {
        super(NAMES, List.of("c_attn", "c_proj", "c_fc"));     // Conv1D: PEFT's fan_in_fan_out
    }

    @Override
    ModelConfig.Builder builder() {
        return ModelConfig.builder("gpt2").normKind(NormKind.LAYER_NORM).mlpKind(MlpKind.PLAIN).hiddenAct("gelu_new")
                .qkvLayout(QkvLayout.FUSED).conv1dWeights(true).qkvBias(true).outputBias(true).mlpBias(true)
                .positions(Positions.LEARNED).tieWordEmbeddings(true);
    }

    /** GPT2Config: n_embd / n_layer / n_head / n_inner (4 x n_embd) / n_positions, layer_norm_epsilon (1e-5). */
    @Override
    ModelConfig read(JsonNode n, String json) {
        int vocab = requiredInt(n, "vocab_size");
        int hidden = requiredInt(n, "n_embd", "hidden_size");
        int heads = requiredInt(n, "n_head", "num_attention_heads");
        int layers = requiredInt(n, "n_layer", "num_hidden_layers");
        Integer inner = optionalInt(n, "n_inner");
        if (n.path("scale_attn_by_inverse_layer_idx").asBoolean(false) || !n.path("scale_attn_weights").asBoolean(true)) {
            throw new ModelFormatException("gpt2 attention scaling other than 1/sqrt(head_dim) is not supported");
        }
        if (hidden % heads != 0) {
            throw new ModelFormatException("n_embd (" + hidden + ") is not a multiple of n_head (" + heads + ")");
        }
        String act = n.path("activation_function").asText("gelu_new");
        if (!act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh")) {
            throw new ModelFormatException("gpt2 activation_function '" + act
                    + "' is not supported (gelu_new, gelu_pytorch_tanh)");
        }
        if (!n.path("tie_word_embeddings").asBoolean(true)) {
            throw new ModelFormatException("gpt2 with tie_word_embeddings=false is not supported");
        }
        return builder().vocabSize(vocab).hiddenSize(hidden).numLayers(layers).numHeads(heads).numKvHeads(heads)
                .headDim(hidden / heads).intermediateSize(inner == null ? 4 * hidden : inner)
                .maxPositions(requiredInt(n, "n_positions", "max_position_embeddings"))
                .normEps(n.path("layer_norm_epsilon").asDouble(1e-5)).hiddenAct(act)
                .bosTokenId(firstId(n.get("bos_token_id"))).eosTokenId(firstId(n.get("eos_token_id")))
                .sourceJson(json).build();
    }

    @Override
    void write(ModelConfig c, ObjectNode o) {
        o.putArray("architectures").add("GPT2LMHeadModel");
        o.put("n_embd", c.hiddenSize());
        o.put("n_layer", c.numLayers());
        o.put("n_head", c.numHeads());
        if (c.intermediateSize() == 4 * c.hiddenSize()) {
            o.putNull("n_inner");
        } else {
            o.put("n_inner", c.intermediateSize());
        }
        o.put("n_positions", c.maxPositions());
        o.put("layer_norm_epsilon", c.normEps());
        o.put("activation_function", c.hiddenAct());
        if (c.sourceJson() == null) {
            // our model has no dropout; HF's GPT-2 defaults are 0.1
            o.put("attn_pdrop", 0.0);
            o.put("embd_pdrop", 0.0);
            o.put("resid_pdrop", 0.0);
            o.put("initializer_range", 0.02);
        }
    }

    @Override
    boolean scaledResidualInit() {
        return true;
    }
}
