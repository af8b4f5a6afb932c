package dev.prefstream.trainer.model;

import ai.djl.ndarray.types.Shape;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The trainable tensors a config implies, by Hugging Face name, in module order (the order of PyTorch's
 * {@code named_parameters()}), with their shapes. A tied head is listed once, as the embedding. The loader checks
 * files against it, the saver writes it, presets initialise it.
 */
public final class WeightLayout {

    private WeightLayout() {
    }

    /** Name -> shape, stable order. */
    public static Map<String, Shape> of(ModelConfig c) {
        LinkedHashMap<String, Shape> m = new LinkedHashMap<>();
        long h = c.hiddenSize();
        long ff = c.intermediateSize();
        if (c.family() == ModelConfig.Family.GPT2) {
            m.put("transformer.wte.weight", new Shape(c.vocabSize(), h));
            m.put("transformer.wpe.weight", new Shape(c.maxPositions(), h));
            for (int i = 0; i < c.numLayers(); i++) {
                String p = "transformer.h." + i + ".";
                layerNorm(m, p + "ln_1", h);
                m.put(p + "attn.c_attn.weight", new Shape(h, 3 * h));
                m.put(p + "attn.c_attn.bias", new Shape(3 * h));
                m.put(p + "attn.c_proj.weight", new Shape(h, h));
                m.put(p + "attn.c_proj.bias", new Shape(h));
                layerNorm(m, p + "ln_2", h);
                m.put(p + "mlp.c_fc.weight", new Shape(h, ff));
                m.put(p + "mlp.c_fc.bias", new Shape(ff));
                m.put(p + "mlp.c_proj.weight", new Shape(ff, h));
                m.put(p + "mlp.c_proj.bias", new Shape(h));
            }
            layerNorm(m, "transformer.ln_f", h);
            return Collections.unmodifiableMap(m);
        }
        if (c.family() == ModelConfig.Family.GPT_NEOX) {
            gptNeox(m, c);
            return Collections.unmodifiableMap(m);
        }
        if (c.family() == ModelConfig.Family.OPT) {
            opt(m, c);
            return Collections.unmodifiableMap(m);
        }
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        m.put("model.embed_tokens.weight", new Shape(c.vocabSize(), h));
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            linear(m, p + "self_attn.q_proj", q, h, c.qkvBias());
            linear(m, p + "self_attn.k_proj", kv, h, c.qkvBias());
            linear(m, p + "self_attn.v_proj", kv, h, c.qkvBias());
            linear(m, p + "self_attn.o_proj", h, q, c.outputBias());
            if (c.qkNorm()) {
                m.put(p + "self_attn.q_norm.weight", new Shape(c.headDim()));
                m.put(p + "self_attn.k_norm.weight", new Shape(c.headDim()));
            }
            linear(m, p + "mlp.gate_proj", ff, h, c.mlpBias());
            linear(m, p + "mlp.up_proj", ff, h, c.mlpBias());
            linear(m, p + "mlp.down_proj", h, ff, c.mlpBias());
            m.put(p + "input_layernorm.weight", new Shape(h));
            m.put(p + "post_attention_layernorm.weight", new Shape(h));
            if (c.sandwichNorms()) {
                m.put(p + "pre_feedforward_layernorm.weight", new Shape(h));
                m.put(p + "post_feedforward_layernorm.weight", new Shape(h));
            }
        }
        m.put("model.norm.weight", new Shape(h));
        if (!c.tieWordEmbeddings()) {
            m.put("lm_head.weight", new Shape(c.vocabSize(), h));
        }
        return Collections.unmodifiableMap(m);
    }

    /**
     * GPTNeoXForCausalLM's parameters in its module order. query_key_value stays one [3 * hidden, hidden] tensor in
     * the checkpoint's per-head interleaved row order (head h's q, k, v rows at h * 3 * head_size); the forward pass
     * splits its output, so load and save copy it as is. The attention buffers of older checkpoints
     * (attention.bias, attention.masked_bias, rotary_emb.inv_freq) are not parameters.
     */
    private static void gptNeox(Map<String, Shape> m, ModelConfig c) {
        long h = c.hiddenSize();
        long ff = c.intermediateSize();
        m.put("gpt_neox.embed_in.weight", new Shape(c.vocabSize(), h));
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "gpt_neox.layers." + i + ".";
            layerNorm(m, p + "input_layernorm", h);
            layerNorm(m, p + "post_attention_layernorm", h);
            linear(m, p + "attention.query_key_value", 3 * h, h, c.qkvBias());
            linear(m, p + "attention.dense", h, h, c.outputBias());
            linear(m, p + "mlp.dense_h_to_4h", ff, h, true);
            linear(m, p + "mlp.dense_4h_to_h", h, ff, true);
        }
        layerNorm(m, "gpt_neox.final_layer_norm", h);
        if (!c.tieWordEmbeddings()) {
            m.put("embed_out.weight", new Shape(c.vocabSize(), h));
        }
    }

    /**
     * OPTForCausalLM's parameters in its module order: the learned positions have max_position_embeddings + 2 rows
     * (OPTLearnedPositionalEmbedding's offset), project_out / project_in (no bias) exist only when
     * word_embed_proj_dim differs from hidden_size, the decoder's final_layer_norm only with pre-LN blocks; the head
     * reads word_embed_proj_dim-wide states.
     */
    private static void opt(Map<String, Shape> m, ModelConfig c) {
        long h = c.hiddenSize();
        long ff = c.intermediateSize();
        long proj = c.wordEmbedProjDim();
        m.put("model.decoder.embed_tokens.weight", new Shape(c.vocabSize(), proj));
        m.put("model.decoder.embed_positions.weight", new Shape(c.maxPositions() + 2L, h));
        if (c.projectsEmbeddings()) {
            linear(m, "model.decoder.project_out", proj, h, false);
            linear(m, "model.decoder.project_in", h, proj, false);
        }
        if (c.finalNorm()) {
            layerNorm(m, "model.decoder.final_layer_norm", h);
        }
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "model.decoder.layers." + i + ".";
            linear(m, p + "self_attn.k_proj", h, h, c.qkvBias());
            linear(m, p + "self_attn.v_proj", h, h, c.qkvBias());
            linear(m, p + "self_attn.q_proj", h, h, c.qkvBias());
            linear(m, p + "self_attn.out_proj", h, h, c.outputBias());
            layerNorm(m, p + "self_attn_layer_norm", h);
            linear(m, p + "fc1", ff, h, c.mlpBias());
            linear(m, p + "fc2", h, ff, c.mlpBias());
            layerNorm(m, p + "final_layer_norm", h);
        }
        if (!c.tieWordEmbeddings()) {
            m.put("lm_head.weight", new Shape(c.vocabSize(), proj));
        }
    }

    /** nn.LayerNorm with affine weights: weight [width], bias [width]. */
    private static void layerNorm(Map<String, Shape> m, String name, long width) {
        m.put(name + ".weight", new Shape(width));
        m.put(name + ".bias", new Shape(width));
    }

    /** nn.Linear layout: weight [out, in], bias [out]. */
    private static void linear(Map<String, Shape> m, String name, long out, long in, boolean bias) {
        m.put(name + ".weight", new Shape(out, in));
        if (bias) {
            m.put(name + ".bias", new Shape(out));
        }
    }

    /** Name of the embedding that a tied head reuses. */
    public static String embeddingName(ModelConfig c) {
        return switch (c.family()) {
            case GPT2 -> "transformer.wte.weight";
            case GPT_NEOX -> "gpt_neox.embed_in.weight";
            case OPT -> "model.decoder.embed_tokens.weight";
            case LLAMA -> "model.embed_tokens.weight";
        };
    }

    /** Total number of scalars. */
    public static long parameterCount(ModelConfig c) {
        return of(c).values().stream().mapToLong(Shape::size).sum();
    }
}
