package dev.prefstream.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.LinkedHashMap;
import java.util.function.Function;

/**
 * A decoder-only causal language model whose weights are plain DJL NDArrays (our own implementation: DJL has no
 * trainable GPT). Contract shared by the model, the DPO loop and checkpointing:
 * <ul>
 *   <li>{@link #parameters()} lists every trainable tensor once, keyed by its Hugging Face name, in a stable order
 *       (a tied head appears only as the embedding). Arrays live in {@link #manager()} and have gradients
 *       attached when training.</li>
 *   <li>{@link #forward} creates every intermediate array in the manager of {@code inputIds} (the caller's
 *       per-step scope), never in the model's manager, so memory stays flat over many steps.</li>
 * </ul>
 */
public interface CausalLM extends AutoCloseable {

    /** The architecture (HF config.json values): by default its decoder's. */
    default ModelConfig config() {
        return withDecoder(DecoderModel::config);
    }

    /** Owns the weights: by default its decoder's manager. */
    default NDManager manager() {
        return withDecoder(DecoderModel::manager);
    }

    /** Trainable tensors by HF name, stable order, tied weights once. */
    LinkedHashMap<String, NDArray> parameters();

    /**
     * Logits for a right-padded batch.
     *
     * @param inputIds      int64 [B, T]
     * @param attentionMask int64 or boolean [B, T], 1 for real tokens (right padding only); may be null
     * @return float32 [B, T, V] logits whatever the weights' type (float16 models upcast them, as HF does before
     *         log-softmax), attached to the manager of {@code inputIds}; by default its decoder's forward in this
     *         model's adapter state
     */
    default NDArray forward(NDArray inputIds, NDArray attentionMask) {
        return withDecoder(d -> d.forward(inputIds, attentionMask));
    }

    @Override
    void close();

    /**
     * Runs {@code stages} on the {@link DecoderModel} whose stages compute this model's {@link #forward}, in this
     * model's adapter state, and returns its result: the model itself, a LoRA model's base with the adapters on, or
     * its reference with them switched off for the call. Callers that run the forward piecewise (chunked log-probs,
     * deferred heads) go through this instead of checking the model's class. A {@link DecoderModel} overrides
     * {@link #config}, {@link #manager} and {@link #forward} (their defaults call this).
     */
    <T> T withDecoder(Function<DecoderModel, T> stages);
}
