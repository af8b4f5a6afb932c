package dev.prefstream.trainer.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.ModelConfig.MlpKind;
import dev.prefstream.trainer.model.ModelConfig.NormKind;
import dev.prefstream.trainer.model.ModelConfig.Positions;
import dev.prefstream.trainer.model.ModelFormatException;
import dev.prefstream.trainer.model.Part;
import dev.prefstream.trainer.model.TensorNames;

import java.util.List;

import static dev.prefstream.trainer.model.family.ConfigKeys.headSize;
import static dev.prefstream.trainer.model.family.ConfigKeys.idOr;
import static dev.prefstream.trainer.model.family.ConfigKeys.optionalInt;
import static dev.prefstream.trainer.model.family.ConfigKeys.requiredInt;

/**
 * OPT (OPTForCausalLM): token embeddings (optionally {@code project_in} from word_embed_proj_dim), learned positions
 * read at row p + 2 (OPTLearnedPositionalEmbedding's offset), LayerNorm with bias, biased q/k/v/out_proj, plain MLP
 * fc1/fc2, pre-LN blocks or (do_layer_norm_before=false, opt-350m) post-LN ones, a final LayerNorm only for pre-LN
 * unless removed, {@code project_out} back to word_embed_proj_dim, tied or untied head.
 */
final class OptFamily extends HfFamily {

    /** OPT activation_function values (transformers' ACT2FN names) this decoder implements. */
    private static final List<String> ACTIVATIONS = List.of("relu", "gelu", "gelu_new");

    /** OPTForCausalLM's module order: the decoder's embeddings, projections and final norm come before the layers. */
    private static final TensorNames NAMES = TensorNames.builder("model.", "model.decoder.layers.")
            .before(Part.TOKEN_EMBEDDING, "model.decoder.embed_tokens")
            .before(Part.POSITION_EMBEDDING, "model.decoder.embed_positions")
            .before(Part.PROJECT_OUT, "model.decoder.project_out")
            .before(Part.PROJECT_IN, "model.decoder.project_in")
            .before(Part.FINAL_NORM, "model.decoder.final_layer_norm")
            .layer(Part.K, "self_attn.k_proj")
            .layer(Part.V, "self_attn.v_proj")
            .layer(Part.Q, "self_attn.q_proj")
            .layer(Part.ATTN_OUT, "self_attn.out_proj")
            .layer(Part.ATTN_NORM, "self_attn_layer_norm")
            .layer(Part.MLP_UP, "fc1")
            .layer(Part.MLP_DOWN, "fc2")
            .layer(Part.MLP_NORM, "final_layer_norm")
            .after(Part.LM_HEAD, "lm_head")
            .build();

    OptFamily() {
        super(NAMES, List.of("q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"));
    }

    @Override
    ModelConfig.Builder builder() {
        return ModelConfig.builder("opt").normKind(NormKind.LAYER_NORM).normEps(1e-5).mlpKind(MlpKind.PLAIN)
                .hiddenAct("relu").qkvBias(true).outputBias(true).mlpBias(true).positions(Positions.LEARNED)
                .positionOffset(2).tieWordEmbeddings(true);
    }

    /**
     * OPTConfig: {@code ffn_dim}, head size hidden / heads, LayerNorm eps 1e-5 (nn.LayerNorm's default; OPT has no
     * eps key), {@code enable_bias} (true) on every projection, {@code activation_function} (relu),
     * {@code do_layer_norm_before} (true), a final layer norm iff do_layer_norm_before and not
     * {@code _remove_final_layer_norm}, {@code word_embed_proj_dim} (hidden_size), tied head unless
     * {@code tie_word_embeddings} is false, bos/eos 2/2 when absent. {@code layer_norm_elementwise_affine} false
     * (norms without weights) is refused.
     */
    @Override
    ModelConfig read(JsonNode n, String json) {
        int vocab = requiredInt(n, "vocab_size");
        int hidden = requiredInt(n, "hidden_size");
        int heads = requiredInt(n, "num_attention_heads");
        int layers = requiredInt(n, "num_hidden_layers");
        int maxPositions = requiredInt(n, "max_position_embeddings");
        int headDim = headSize(hidden, heads);
        if (!n.path("layer_norm_elementwise_affine").asBoolean(true)) {
            throw new ModelFormatException("opt layer_norm_elementwise_affine=false (layer norms without weight and "
                    + "bias) is not supported");
        }
        boolean before = n.path("do_layer_norm_before").asBoolean(true);
        boolean bias = n.path("enable_bias").asBoolean(true);
        Integer proj = optionalInt(n, "word_embed_proj_dim");
        String act = n.path("activation_function").asText("relu");
        int ffn = requiredInt(n, "ffn_dim");
        if (!ACTIVATIONS.contains(act)) {
            throw new ModelFormatException("opt activation_function '" + act + "' is not supported ("
                    + String.join(", ", ACTIVATIONS) + ")");
        }
        return builder().vocabSize(vocab).hiddenSize(hidden).numLayers(layers).numHeads(heads).numKvHeads(heads)
                .headDim(headDim).intermediateSize(ffn).maxPositions(maxPositions)
                .tieWordEmbeddings(n.path("tie_word_embeddings").asBoolean(true))
                .qkvBias(bias).outputBias(bias).mlpBias(bias).hiddenAct(act)
                .bosTokenId(idOr(n, "bos_token_id", 2)).eosTokenId(idOr(n, "eos_token_id", 2))
                .wordEmbedProjDim(proj == null ? hidden : proj).normBefore(before)
                .finalNorm(before && !n.path("_remove_final_layer_norm").asBoolean(false))
                .sourceJson(json).build();
    }

    /**
     * OPTConfig's keys. pad_token_id (OPT's default 1) is written only when the source had none; OPT has no eps key
     * (nn.LayerNorm's 1e-5 is fixed).
     */
    @Override
    void write(ModelConfig c, ObjectNode o) {
        o.putArray("architectures").add("OPTForCausalLM");
        o.put("hidden_size", c.hiddenSize());
        o.put("ffn_dim", c.intermediateSize());
        o.put("num_attention_heads", c.numHeads());
        o.put("num_hidden_layers", c.numLayers());
        o.put("max_position_embeddings", c.maxPositions());
        o.put("word_embed_proj_dim", c.wordEmbedProjDim());
        o.put("do_layer_norm_before", c.normBefore());
        o.put("_remove_final_layer_norm", c.normBefore() && !c.finalNorm());
        o.put("activation_function", c.hiddenAct());
        o.put("enable_bias", c.qkvBias());
        o.put("layer_norm_elementwise_affine", true);
        if (!o.has("pad_token_id")) {
            o.put("pad_token_id", 1);
        }
        if (c.sourceJson() == null) {
            o.put("dropout", 0.0);
            o.put("attention_dropout", 0.0);
            o.put("layerdrop", 0.0);
            o.put("init_std", 0.02);
        }
    }
}
