package dev.prefstream.trainer.optim;

import ai.djl.pytorch.jni.JniUtils;

/**
 * Scope in which PyTorch records no autograd graph (like {@code torch.no_grad()}), restoring the previous mode on
 * close. Grad mode is thread-local in PyTorch and a fresh thread starts with it ON, so a forward pass that only
 * needs values (reference model, evaluation) must open this scope, or it would build (and hold) a graph.
 */
public final class NoGrad implements AutoCloseable {

    private final boolean previous;

    private NoGrad() {
        previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
    }

    /** Enters no-grad mode on the current thread. */
    public static NoGrad enter() {
        return new NoGrad();
    }

    @Override
    public void close() {
        JniUtils.setGradMode(previous);
    }
}
