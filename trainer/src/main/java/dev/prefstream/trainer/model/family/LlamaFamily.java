package dev.prefstream.trainer.model.family;

/**
 * Llama (and SmolLM): RMSNorm, SwiGLU, grouped-query attention, RoPE (default, linear or llama3 frequencies),
 * {@code attention_bias} on q/k/v/o, {@code mlp_bias}, untied head by default. No sliding window (a
 * {@code sliding_window} key is ignored, as transformers does).
 */
final class LlamaFamily extends LlamaStyleFamily {

    LlamaFamily() {
        super("llama", "LlamaForCausalLM");
    }
}
