package dev.prefstream.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.prefstream.trainer.optim.NoGrad;

/**
 * Chunked log-probs ({@link SequenceLogProbs#chunked}) whose LM head and log-softmax are recomputed in backward, one
 * chunk at a time, instead of kept for it.
 *
 * <p>Why: recorded normally, every chunk's float32 log-softmax output [B, c, V] stays alive until backward (autograd
 * needs it), so chunking bounds the forward but not the step: at a 151,936-token vocabulary and 16 rows of 512
 * tokens that is 5 GB kept, and backward then materializes a gradient of the same size. Here the forward runs
 * without a graph and keeps only the picked [B, T-1] log-probs, as a leaf the loss is built on. After the loss's
 * backward has filled that leaf's gradient, {@link #backward()} recomputes each chunk's logits and log-softmax under
 * recording from a leaf copy of the final hidden states, back-propagates that chunk's slice of the gradient (which
 * accumulates the head's weight gradient and the hidden states' gradient), frees the chunk, and finally
 * back-propagates the hidden states' gradient into the final norm and the body.
 *
 * <p>Cost: the head's matmul once more per step (at Qwen2.5-0.5B's shape the head is about a quarter of the
 * forward's FLOPs, so about 7% more compute per training step); memory: one chunk's logits, log-softmax and their
 * gradients (a few times {@link SequenceLogProbs#CHUNK_ELEMENTS} floats) instead of all chunks' log-softmax plus a
 * full-size logits gradient. The values and gradients are the plain chunked path's: the same operations run on the
 * same values. Arrays live in the manager of {@code hidden}. {@link #backward()} must run while the gradient
 * collector that recorded {@code hidden} is still open.
 */
public final class RecomputedHead {

    /**
     * Without gradient checkpointing, the head is recomputed only when the recorded head would keep more than this
     * many float32 log-softmax elements (1 GiB) until backward. Why: recomputing costs the head's matmul once more,
     * and at the small real shapes the head is most of the step (vocabulary 32,000 against hidden 256-512: 40-70% of
     * the forward's FLOPs), so recomputing a few hundred MB cost those shapes 10-18% of their tokens/s for a saving
     * smaller than the step's other activations. Above it (Qwen2.5-0.5B at 8 pairs x 512: 5 GB) the memory wins.
     * With checkpointing on, the user has chosen memory over speed, so the head is always recomputed when chunked.
     */
    public static final long RECOMPUTE_ABOVE_ELEMENTS = 1L << 28;

    /**
     * Whether a training step without checkpointing recomputes the head of {@code rows} rows of {@code tokens} tokens
     * over {@code vocab} (see {@link #RECOMPUTE_ABOVE_ELEMENTS}).
     */
    public static boolean paysOff(long rows, long tokens, long vocab) {
        return rows * Math.max(0, tokens - 1) * vocab > RECOMPUTE_ABOVE_ELEMENTS;
    }

    private final DecoderModel model;
    private final NDArray hidden;
    private final NDArray labels;
    private final int positions;
    private final NDArray picked;
    private final NDArray tokenLogps;
    private final NDArray logDenoms;

    private RecomputedHead(DecoderModel model, NDArray hidden, NDArray labels, int positions, NDArray picked,
                           NDArray tokenLogps, NDArray logDenoms) {
        this.model = model;
        this.hidden = hidden;
        this.labels = labels;
        this.positions = positions;
        this.picked = picked;
        this.tokenLogps = tokenLogps;
        this.logDenoms = logDenoms;
    }

    /**
     * The forward: picked log-probs without a graph through the head.
     *
     * @param hidden    [B, T, H] final hidden states, recorded (their graph reaches the weights)
     * @param positions positions per chunk ({@link SequenceLogProbs#chunkPositions})
     */
    public static RecomputedHead forward(DecoderModel model, NDArray hidden, NDArray labels, NDArray lossMask,
                                         int positions, boolean withLogDenoms) {
        SequenceLogProbs.Chunked raw;
        try (NoGrad ignored = NoGrad.enter()) {
            raw = SequenceLogProbs.pickedInChunks(model, hidden, labels, positions, withLogDenoms);
        }
        NDArray picked = raw.tokenLogps();
        picked.setRequiresGradient(true);
        return new RecomputedHead(model, hidden, labels, positions, picked,
                SequenceLogProbs.masked(picked, lossMask), raw.logDenoms());
    }

    /** [B, T-1] float32 log-probs, zero outside the loss mask; build the loss on these. */
    public NDArray tokenLogps() {
        return tokenLogps;
    }

    /** WPO's [B, T-1] log(sum_v p(v)^2) without gradient, or null when not requested. */
    public NDArray logDenoms() {
        return logDenoms;
    }

    /**
     * Back-propagates the gradient the loss left on {@link #tokenLogps()} through the head (recomputed chunk by
     * chunk) and then through {@code hidden}'s graph.
     *
     * @throws IllegalStateException when no backward has reached the log-probs yet
     */
    public void backward() {
        NDManager owner = hidden.getManager();
        NDArray g = picked.getGradient();
        if (g == null) {
            throw new IllegalStateException("the loss's backward has not reached the log-probs");
        }
        g.attach(owner);
        NDArray leaf = hidden.stopGradient();
        leaf.attach(owner);
        leaf.setRequiresGradient(true);
        long predicted = hidden.getShape().get(1) - 1;
        for (long from = 0; from < predicted; from += positions) {
            long to = Math.min(predicted, from + positions);
            try (NDManager chunk = owner.newSubManager()) {
                NDArray p = SequenceLogProbs.pick(model.logits(SequenceLogProbs.slice(leaf, from, to, chunk)),
                        labels, from, to, chunk);
                NDArray gp = g.get(":, {}:{}", from, to);
                gp.attach(chunk);
                JniUtils.backward((PtNDArray) p, (PtNDArray) gp, false, false);
            }
        }
        NDArray gHidden = leaf.getGradient();
        gHidden.attach(owner);
        JniUtils.backward((PtNDArray) hidden, (PtNDArray) gHidden, false, false);
        gHidden.close();
        g.close();
    }
}
