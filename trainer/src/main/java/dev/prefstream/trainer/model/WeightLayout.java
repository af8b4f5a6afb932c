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
                m.put(p + "ln_1.weight", new Shape(h));
                m.put(p + "ln_1.bias", new Shape(h));
                m.put(p + "attn.c_attn.weight", new Shape(h, 3 * h));
                m.put(p + "attn.c_attn.bias", new Shape(3 * h));
                m.put(p + "attn.c_proj.weight", new Shape(h, h));
                m.put(p + "attn.c_proj.bias", new Shape(h));
                m.put(p + "ln_2.weight", new Shape(h));
                m.put(p + "ln_2.bias", new Shape(h));
                m.put(p + "mlp.c_fc.weight", new Shape(h, ff));
                m.put(p + "mlp.c_fc.bias", new Shape(ff));
                m.put(p + "mlp.c_proj.weight", new Shape(ff, h));
                m.put(p + "mlp.c_proj.bias", new Shape(h));
            }
            m.put("transformer.ln_f.weight", new Shape(h));
            m.put("transformer.ln_f.bias", new Shape(h));
            return Collections.unmodifiableMap(m);
        }
        if (c.family() == ModelConfig.Family.GPT_NEOX) {
            gptNeox(m, c);
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
            m.put(p + "input_layernorm.weight", new Shape(h));
            m.put(p + "input_layernorm.bias", new Shape(h));
            m.put(p + "post_attention_layernorm.weight", new Shape(h));
            m.put(p + "post_attention_layernorm.bias", new Shape(h));
            linear(m, p + "attention.query_key_value", 3 * h, h, c.qkvBias());
            linear(m, p + "attention.dense", h, h, c.outputBias());
            linear(m, p + "mlp.dense_h_to_4h", ff, h, true);
            linear(m, p + "mlp.dense_4h_to_h", h, ff, true);
        }
        m.put("gpt_neox.final_layer_norm.weight", new Shape(h));
        m.put("gpt_neox.final_layer_norm.bias", new Shape(h));
        if (!c.tieWordEmbeddings()) {
            m.put("embed_out.weight", new Shape(c.vocabSize(), h));
        }
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
            case LLAMA -> "model.embed_tokens.weight";
        };
    }

    /** Total number of scalars. */
    public static long parameterCount(ModelConfig c) {
        return of(c).values().stream().mapToLong(Shape::size).sum();
    }
}
