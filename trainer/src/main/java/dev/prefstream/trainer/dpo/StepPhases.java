package dev.prefstream.trainer.dpo;

/**
 * Where a training step's wall time went, in milliseconds, summed over its micro-batches: the reference's log-probs
 * (a no-grad forward, or the cache), the policy's forward with the loss, the backward (with a recomputed head and
 * checkpointed blocks, their recomputation too), and the optimizer (clipping, the step's one device-to-host copy,
 * AdamW). A profile by phase for {@code bench train}, set against the same phases of the PyTorch side. On the CPU
 * every operation has finished when its phase ends; on an accelerator the phases before the host copy show launch
 * time and the optimizer phase absorbs the wait.
 */
public record StepPhases(double referenceMs, double forwardMs, double backwardMs, double optimizerMs) {

    /** No step yet. */
    public static final StepPhases NONE = new StepPhases(0, 0, 0, 0);

    /** The sum of both, phase by phase. */
    public StepPhases plus(StepPhases o) {
        return new StepPhases(referenceMs + o.referenceMs, forwardMs + o.forwardMs, backwardMs + o.backwardMs,
                optimizerMs + o.optimizerMs);
    }

    /** Each phase divided by {@code n} (a mean over n steps). */
    public StepPhases dividedBy(double n) {
        return new StepPhases(referenceMs / n, forwardMs / n, backwardMs / n, optimizerMs / n);
    }
}
