package dev.prefstream.trainer.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.ModelConfig.MlpKind;
import dev.prefstream.trainer.model.ModelConfig.NormKind;
import dev.prefstream.trainer.model.ModelConfig.QkvLayout;
import dev.prefstream.trainer.model.ModelFormatException;
import dev.prefstream.trainer.model.Part;
import dev.prefstream.trainer.model.RopeScaling;
import dev.prefstream.trainer.model.TensorNames;

import java.util.List;

import static dev.prefstream.trainer.model.family.ConfigKeys.headSize;
import static dev.prefstream.trainer.model.family.ConfigKeys.idOr;
import static dev.prefstream.trainer.model.family.ConfigKeys.requiredInt;

/**
 * GPT-NeoX (Pythia, GPTNeoXForCausalLM): LayerNorm with bias, one fused {@code query_key_value} whose rows are per
 * head [q | k | v] (used as stored, never split), RoPE on the first rotary_pct of each head, biased plain MLP,
 * parallel or sequential residual, untied {@code embed_out} head by default. The attention buffers of older
 * checkpoints (attention.bias, attention.masked_bias, rotary_emb.inv_freq) are not parameters and are ignored.
 */
final class GptNeoxFamily extends HfFamily {

    /** GPT-NeoX activations (transformers' ACT2FN names) this decoder implements. */
    private static final List<String> ACTIVATIONS = List.of("gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu",
            "swish");

    private static final TensorNames NAMES = TensorNames.builder("gpt_neox.", "gpt_neox.layers.")
            .before(Part.TOKEN_EMBEDDING, "gpt_neox.embed_in")
            .layer(Part.ATTN_NORM, "input_layernorm")
            .layer(Part.MLP_NORM, "post_attention_layernorm")
            .layer(Part.QKV, "attention.query_key_value")
            .layer(Part.ATTN_OUT, "attention.dense")
            .layer(Part.MLP_UP, "mlp.dense_h_to_4h")
            .layer(Part.MLP_DOWN, "mlp.dense_4h_to_h")
            .after(Part.FINAL_NORM, "gpt_neox.final_layer_norm")
            .after(Part.LM_HEAD, "embed_out")
            .build();

    GptNeoxFamily() {
        super(NAMES, List.of("query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"));
    }

    @Override
    ModelConfig.Builder builder() {
        return ModelConfig.builder("gpt_neox").normKind(NormKind.LAYER_NORM).mlpKind(MlpKind.PLAIN).hiddenAct("gelu")
                .qkvLayout(QkvLayout.FUSED_PER_HEAD).qkvBias(true).outputBias(true).mlpBias(true)
                .parallelResidual(true).partialRotaryFactor(0.25);
    }

    /**
     * GPTNeoXConfig: head size hidden / heads (no GQA: num_key_value_heads and head_dim are not read, as in
     * transformers), LayerNorm {@code layer_norm_eps} (1e-5), {@code attention_bias} (true) on query_key_value and
     * dense, MLP biases always, {@code hidden_act} (gelu), untied head unless {@code tie_word_embeddings},
     * {@code use_parallel_residual} (true), bos/eos 0/2 when absent. Rotary share: {@code rotary_pct}, else a
     * {@code partial_rotary_factor} (rope_parameters or top level), else 0.25. Rotary base: a {@code rope_theta}
     * (rope_parameters, rope_scaling or top level, as newer transformers write it), else {@code rotary_emb_base},
     * else 10000; both are written with the same value on save. {@code rope_scaling} as for Llama.
     */
    @Override
    ModelConfig read(JsonNode n, String json) {
        int vocab = requiredInt(n, "vocab_size");
        int hidden = requiredInt(n, "hidden_size");
        int heads = requiredInt(n, "num_attention_heads");
        int layers = requiredInt(n, "num_hidden_layers");
        int maxPositions = requiredInt(n, "max_position_embeddings");
        int headDim = headSize(hidden, heads);
        JsonNode rotaryPct = n.get("rotary_pct");
        double partial;
        if (rotaryPct != null && !rotaryPct.isNull()) {
            partial = rotaryPct.asDouble();
        } else if (n.path("rope_parameters").hasNonNull("partial_rotary_factor")) {
            partial = n.path("rope_parameters").get("partial_rotary_factor").asDouble();
        } else {
            partial = n.path("partial_rotary_factor").asDouble(0.25);
        }
        boolean thetaGiven = n.hasNonNull("rope_theta") || n.path("rope_parameters").hasNonNull("rope_theta")
                || n.path("rope_scaling").hasNonNull("rope_theta");
        double base = thetaGiven ? RopeScaling.theta(n) : n.path("rotary_emb_base").asDouble(10000.0);
        boolean attentionBias = n.path("attention_bias").asBoolean(true);
        String act = n.path("hidden_act").asText("gelu");
        if (!ACTIVATIONS.contains(act)) {
            throw new ModelFormatException("gpt_neox hidden_act '" + act + "' is not supported ("
                    + String.join(", ", ACTIVATIONS) + ")");
        }
        if (!(partial > 0 && partial <= 1)) {
            throw new ModelFormatException("gpt_neox rotary_pct must be in (0, 1], got " + partial);
        }
        return builder().vocabSize(vocab).hiddenSize(hidden).numLayers(layers).numHeads(heads).numKvHeads(heads)
                .headDim(headDim).intermediateSize(requiredInt(n, "intermediate_size")).maxPositions(maxPositions)
                .normEps(n.path("layer_norm_eps").asDouble(1e-5)).ropeTheta(base)
                .tieWordEmbeddings(n.path("tie_word_embeddings").asBoolean(false))
                .qkvBias(attentionBias).outputBias(attentionBias).hiddenAct(act)
                .bosTokenId(idOr(n, "bos_token_id", 0)).eosTokenId(idOr(n, "eos_token_id", 2))
                .ropeScaling(RopeScaling.parse(n, maxPositions, true)).partialRotaryFactor(partial)
                .parallelResidual(n.path("use_parallel_residual").asBoolean(true)).sourceJson(json).build();
    }

    /**
     * GPTNeoXConfig's keys: rotary_pct / rotary_emb_base (transformers 4) and the same values as
     * partial_rotary_factor / rope_theta / rope_parameters (newer releases), so every version builds this model.
     */
    @Override
    void write(ModelConfig c, ObjectNode o) {
        o.putArray("architectures").add("GPTNeoXForCausalLM");
        o.put("hidden_size", c.hiddenSize());
        o.put("num_hidden_layers", c.numLayers());
        o.put("num_attention_heads", c.numHeads());
        o.put("intermediate_size", c.intermediateSize());
        o.put("max_position_embeddings", c.maxPositions());
        o.put("layer_norm_eps", c.normEps());
        o.put("rotary_pct", c.partialRotaryFactor());
        o.put("partial_rotary_factor", c.partialRotaryFactor());
        o.put("rotary_emb_base", c.ropeTheta());
        ((ObjectNode) ConfigKeys.writeRope(c, o).get("rope_parameters")).put("partial_rotary_factor",
                c.partialRotaryFactor());
        o.put("use_parallel_residual", c.parallelResidual());
        o.put("hidden_act", c.hiddenAct());
        o.put("attention_bias", c.qkvBias());
        o.remove("num_key_value_heads");
        o.remove("head_dim");
        if (c.sourceJson() == null) {
            o.put("attention_dropout", 0.0);
            o.put("hidden_dropout", 0.0);
            o.put("initializer_range", 0.02);
        }
    }
}
