package dev.prefstream.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.prefstream.trainer.optim.NoGrad;

/**
 * Gradient (activation) checkpointing per decoder block, by recomputation: DJL has no checkpoint op, so the body
 * runs once without recording a graph, keeping only each block's input [B, T, H]; {@link #output()} is a leaf the
 * caller builds the head and loss on. After the caller's backward has filled that leaf's gradient,
 * {@link #backward()} walks the blocks from the last: it recomputes block i from its saved input (now a leaf that
 * requires a gradient) with recording on, back-propagates the gradient of the block's output into it
 * ({@code y.backward(g)}, which accumulates the block's weight gradients and yields the gradient of its input),
 * frees that block's graph and moves on; the embedding lookup last. The gradients equal the plain path's up to
 * float32 summation order (the same operations run on the same values).
 *
 * <p>Cost: one more forward of the body per step (about a third more compute); memory: the saved block inputs
 * plus one block's activations, instead of every block's. Arrays live in the manager of the ids given to
 * {@link #forward}; each recomputed block's in a scope closed after its backward. Must run while a
 * {@code GradientCollector} is open (grad mode on) for {@link #backward()}.
 */
public final class CheckpointedBody {

    private final DecoderModel model;
    private final DecoderModel.BlockInputs inputs;
    private final NDArray[] blockInputs;
    private final NDArray output;

    private CheckpointedBody(DecoderModel model, DecoderModel.BlockInputs inputs, NDArray[] blockInputs,
                             NDArray output) {
        this.model = model;
        this.inputs = inputs;
        this.blockInputs = blockInputs;
        this.output = output;
    }

    /**
     * The body's forward without a graph, keeping each block's input.
     *
     * @param inputIds      int64 [B, T] (its manager receives every array)
     * @param attentionMask [B, T], 1 for real tokens; may be null
     */
    public static CheckpointedBody forward(DecoderModel model, NDArray inputIds, NDArray attentionMask) {
        int layers = model.config().numLayers();
        NDArray[] saved = new NDArray[layers];
        DecoderModel.BlockInputs in;
        NDArray x;
        try (NoGrad ignored = NoGrad.enter()) {
            in = model.blockInputs(inputIds, attentionMask, null, null);
            x = model.embed(in);
            for (int i = 0; i < layers; i++) {
                saved[i] = x;
                x = model.block(i, x, in);
            }
        }
        x.setRequiresGradient(true);
        return new CheckpointedBody(model, in, saved, x);
    }

    /** The last block's output, a leaf that requires a gradient: build the final norm, head and loss on it. */
    public NDArray output() {
        return output;
    }

    /**
     * Back-propagates {@code output().getGradient()} through every block and the embeddings by recomputation,
     * accumulating into the weights' gradients.
     *
     * @throws IllegalStateException when the output has no gradient yet (no backward reached it)
     */
    public void backward() {
        NDManager owner = output.getManager();
        NDArray g = output.getGradient();
        g.attach(owner);
        for (int i = blockInputs.length - 1; i >= 0; i--) {
            try (NDManager scope = owner.newSubManager()) {
                NDArray x = blockInputs[i].stopGradient();
                x.attach(scope);
                x.setRequiresGradient(true);
                NDArray y = model.block(i, x, inputs);
                JniUtils.backward((PtNDArray) y, (PtNDArray) g, false, false);
                NDArray gx = x.getGradient();
                gx.attach(owner);
                g.close();
                g = gx;
            }
        }
        try (NDManager scope = owner.newSubManager()) {
            NDArray x0 = model.embed(inputs);
            x0.attach(scope);
            // a frozen base (LoRA) gives x0 no graph and leaves nothing to accumulate: backward would fail there
            if (baseTrainable()) {
                JniUtils.backward((PtNDArray) x0, (PtNDArray) g, false, false);
            }
        }
        g.close();
    }


    /** Whether the model's own weights take gradients (false for a LoRA model's frozen base). */
    private boolean baseTrainable() {
        for (NDArray p : model.parameters().values()) {
            if (p.hasGradient()) {
                return true;
            }
        }
        return false;
    }
}
