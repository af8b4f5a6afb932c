package dev.prefstream.trainer.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.Part;
import dev.prefstream.trainer.model.TensorNames;

import java.util.ArrayList;
import java.util.List;

import static dev.prefstream.trainer.model.family.ConfigKeys.softcapOf;

/**
 * Gemma 2: Gemma's (1 + w) norms, scaled embeddings, GeGLU and tied head, plus sandwich norms (attention and MLP
 * outputs normalised before their residual add, the MLP input by pre_feedforward_layernorm), scores scaled by
 * query_pre_attn_scalar^-0.5 and soft-capped before the mask, the sliding window on the layers {@code layer_types}
 * marks (else the even ones), and soft-capped final logits; head_dim 256 and 4 key/value heads when absent.
 */
final class Gemma2Family extends GemmaFamily {

    /** Gemma2ForCausalLM: Llama's names, but post_attention_layernorm is the attention output's sandwich norm. */
    private static final TensorNames GEMMA2_NAMES = TensorNames.builder("model.", "model.layers.")
            .before(Part.TOKEN_EMBEDDING, "model.embed_tokens")
            .layer(Part.Q, "self_attn.q_proj")
            .layer(Part.K, "self_attn.k_proj")
            .layer(Part.V, "self_attn.v_proj")
            .layer(Part.ATTN_OUT, "self_attn.o_proj")
            .layer(Part.MLP_GATE, "mlp.gate_proj")
            .layer(Part.MLP_UP, "mlp.up_proj")
            .layer(Part.MLP_DOWN, "mlp.down_proj")
            .layer(Part.ATTN_NORM, "input_layernorm")
            .layer(Part.POST_ATTN_NORM, "post_attention_layernorm")
            .layer(Part.MLP_NORM, "pre_feedforward_layernorm")
            .layer(Part.POST_MLP_NORM, "post_feedforward_layernorm")
            .after(Part.FINAL_NORM, "model.norm")
            .after(Part.LM_HEAD, "lm_head")
            .build();

    Gemma2Family() {
        super("gemma2", "Gemma2ForCausalLM", GEMMA2_NAMES);
    }

    @Override
    ModelConfig.Builder builder() {
        return super.builder().sandwichNorms(true);
    }

    @Override
    Integer defaultKvHeads() {
        return 4;
    }

    /**
     * Gemma2Config: {@code query_pre_attn_scalar} (256), {@code attn_logit_softcapping} (50) and
     * {@code final_logit_softcapping} (30), null turning either off, {@code sliding_window} (4096; null: none) on the
     * layers {@code layer_types} marks sliding_attention, else on the even layers; biases and activation as Gemma.
     */
    @Override
    void readDifferences(JsonNode n, ModelConfig.Builder b, int layers) {
        Integer window = everyLayerWindow(n, defaultWindow());
        JsonNode types = n.get("layer_types");
        List<Boolean> sliding = new ArrayList<>();
        if (types != null && !types.isNull()) {
            sliding.addAll(slidingLayers(types, layers));
        } else {
            for (int i = 0; i < layers; i++) {
                sliding.add(i % 2 == 0);
            }
        }
        super.readDifferences(n, b, layers);
        b.slidingWindow(window).slidingLayers(sliding)
                .attnLogitSoftcap(softcapOf(n, "attn_logit_softcapping", 50.0))
                .finalLogitSoftcap(softcapOf(n, "final_logit_softcapping", 30.0))
                .queryPreAttnScalar(n.path("query_pre_attn_scalar").asDouble(256));
    }

    @Override
    void writeDifferences(ModelConfig c, ObjectNode o) {
        ConfigKeys.putNullable(o, "sliding_window", c.slidingWindow());
        // the per-layer flags as read (kept even without a window, so they read back the same); transformers before
        // layer_types reads only the even/odd rule, which an explicit list repeats or refines
        ArrayNode types = o.putArray("layer_types");
        for (int i = 0; i < c.numLayers(); i++) {
            boolean sliding = c.slidingLayers() != null ? c.slidingLayers().get(i) : c.slidingWindowAt(i);
            types.add(sliding ? "sliding_attention" : "full_attention");
        }
        super.writeDifferences(c, o);
        ConfigKeys.putNullable(o, "attn_logit_softcapping", c.attnLogitSoftcap());
        ConfigKeys.putNullable(o, "final_logit_softcapping", c.finalLogitSoftcap());
        o.put("query_pre_attn_scalar", c.queryPreAttnScalar());
    }
}
