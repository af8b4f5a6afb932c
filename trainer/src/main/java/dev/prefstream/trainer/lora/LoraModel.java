package dev.prefstream.trainer.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.prefstream.trainer.model.CausalLM;
import dev.prefstream.trainer.model.DecoderModel;

import java.util.LinkedHashMap;
import java.util.function.Function;

/**
 * A frozen base model with LoRA adapters, as the trainer sees it: {@link #parameters()} are the adapter tensors
 * only (PEFT keys), so gradients, clipping, AdamW state and the trainer state cover the adapters and nothing else;
 * {@link #forward} runs the base with the adapters on. {@link #reference()} is the same model with the adapters off,
 * the DPO reference without a second copy of the weights (TRL + PEFT's {@code disable_adapter()}).
 *
 * <p>Memory: the base's weights once, plus the adapters with their gradients and two AdamW moments (about
 * 16 bytes per adapter scalar), instead of weights + gradients + moments + reference for every scalar.
 */
public final class LoraModel implements CausalLM {

    private final DecoderModel base;
    private final LoraAdapters adapters;
    private final CausalLM reference = new Reference();

    private LoraModel(DecoderModel base, LoraAdapters adapters) {
        this.base = base;
        this.adapters = adapters;
    }

    /**
     * Freezes {@code base} (no gradients) and wraps it with fresh adapters (A random from {@code seed}, B zero).
     *
     * @param base owned by the result from now on
     * @throws IllegalArgumentException for a config without rank, a target that matches nothing, or phi3
     */
    public static LoraModel wrap(DecoderModel base, LoraConfig config, long seed) {
        java.util.List<LoraTarget> targets = LoraTarget.resolve(base.config(), config.targetsFor(base.config()));
        base.setTrainable(false);
        NDManager m = base.manager().newSubManager();
        LoraAdapters adapters;
        try {
            adapters = new LoraAdapters(config, targets, base.parameters(), seed, m);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        base.attachAdapters(adapters);
        return new LoraModel(base, adapters);
    }

    /** The frozen base (its forward pass applies the adapters while they are enabled). */
    public DecoderModel base() {
        return base;
    }

    public LoraAdapters adapters() {
        return adapters;
    }

    /** The base with the adapters switched off, sharing this model's weights; closing it does nothing. */
    public CausalLM reference() {
        return reference;
    }

    /** The adapter tensors by PEFT key (the trainable parameters). */
    @Override
    public LinkedHashMap<String, NDArray> parameters() {
        return adapters.parameters();
    }

    @Override
    public <T> T withDecoder(Function<DecoderModel, T> stages) {
        return stages.apply(base);
    }

    @Override
    public void close() {
        base.attachAdapters(null);
        try {
            adapters.close();
        } finally {
            base.close();
        }
    }

    /** The DPO reference: the same forward code with the adapters off. */
    private final class Reference implements CausalLM {

        /** The base weights (frozen). */
        @Override
        public LinkedHashMap<String, NDArray> parameters() {
            return base.parameters();
        }

        @Override
        public <T> T withDecoder(Function<DecoderModel, T> stages) {
            boolean previous = adapters.setEnabled(false);
            try {
                return stages.apply(base);
            } finally {
                adapters.setEnabled(previous);
            }
        }

        /** Owned by the enclosing model. */
        @Override
        public void close() {
        }
    }
}
