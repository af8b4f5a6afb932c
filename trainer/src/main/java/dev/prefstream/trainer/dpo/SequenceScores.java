package dev.prefstream.trainer.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.prefstream.trainer.model.CausalLM;
import dev.prefstream.trainer.model.CheckpointedBody;
import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.model.RecomputedHead;
import dev.prefstream.trainer.model.SequenceLogProbs;
import dev.prefstream.trainer.optim.NoGrad;

/**
 * Runs a model over a {@link CollatedBatch} (all 2B rows in ONE forward pass) and reduces the logits to what the
 * losses need: the summed response log-prob of each row and, for WPO, each row's weight.
 *
 * @param sums       float32 [2B] summed response log-probs (rows 0..B-1 chosen, B..2B-1 rejected)
 * @param wpoWeights float32 [2B] WPO weights (detached), or null when not requested
 * @param head       the head whose backward is deferred ({@link RecomputedHead}), or null when the graph through the
 *                   head was recorded as usual; see {@link #backwardHead()}
 */
public record SequenceScores(NDArray sums, NDArray wpoWeights, RecomputedHead head) {

    /**
     * After the loss's backward: carries the gradient through a deferred head (recomputing it chunk by chunk) into
     * the body; does nothing when the head's graph was recorded. Call it inside the gradient collector, before a
     * checkpointed body's backward.
     */
    public void backwardHead() {
        if (head != null) {
            head.backward();
        }
    }

    /** Chosen half [B]. */
    public NDArray chosen() {
        return sums.get("0:{}", sums.getShape().get(0) / 2);
    }

    /** Rejected half [B]. */
    public NDArray rejected() {
        return sums.get("{}:", sums.getShape().get(0) / 2);
    }

    /**
     * Forward pass and reduction; every array goes to {@code scope}. Gradients flow if grad mode is on and the
     * model's weights require them (the head's graph recorded as usual; a training step uses
     * {@link #computeForBackward}).
     *
     * @param withWpoWeights also compute WPO weights: exp(mean over response tokens of
     *                       log p(token) - log(sum_v p(v)^2)), TRL's {@code use_weighting}, without gradient
     */
    public static SequenceScores compute(CausalLM model, CollatedBatch batch, NDManager scope, boolean withWpoWeights) {
        return compute(model, batch, scope, withWpoWeights, false);
    }

    /**
     * {@link #compute} for a training step: the head may be deferred ({@link RecomputedHead}, when
     * {@link RecomputedHead#paysOff}), so the caller must call {@link #backwardHead()} after the loss's backward,
     * inside the gradient collector.
     */
    public static SequenceScores computeForBackward(CausalLM model, CollatedBatch batch, NDManager scope,
                                                    boolean withWpoWeights) {
        return compute(model, batch, scope, withWpoWeights, true);
    }

    private static SequenceScores compute(CausalLM model, CollatedBatch batch, NDManager scope, boolean withWpoWeights,
                                          boolean deferHead) {
        NDArray ids = batch.inputIds(scope);
        NDArray attention = batch.attentionMask(scope);
        NDArray mask = batch.lossMask(scope);
        return model.withDecoder(decoder -> {
            NDArray hidden = decoder.finalHidden(decoder.bodyOutput(ids, attention));
            Shape shape = ids.getShape();
            long vocab = decoder.config().vocabSize();
            int positions = deferHead ? SequenceLogProbs.trainingChunkPositions(shape.get(0), decoder, false)
                    : SequenceLogProbs.chunkPositions(shape.get(0), vocab);
            return fromHidden(decoder, hidden, ids, mask, withWpoWeights, positions,
                    deferHead && RecomputedHead.paysOff(shape.get(0), shape.get(1), vocab));
        });
    }

    /**
     * The scores from final hidden states [2B, T, H] ({@link DecoderModel#finalHidden}), with the log-probs computed
     * in chunks of positions ({@link SequenceLogProbs#chunked}), so the [2B, T, V] logits never exist at once.
     * Arrays go to the manager of {@code hidden}.
     */
    public static SequenceScores fromHidden(DecoderModel model, NDArray hidden, NDArray ids, NDArray mask,
                                            boolean withWpoWeights) {
        Shape shape = hidden.getShape();
        return fromHidden(model, hidden, ids, mask, withWpoWeights,
                SequenceLogProbs.chunkPositions(shape.get(0), model.config().vocabSize()), false);
    }

    /**
     * {@link #fromHidden} with a given chunk length. With {@code deferHead} (a training step whose hidden states are
     * recorded) and positions that take more than one chunk, the head is deferred ({@link RecomputedHead}:
     * recomputed chunk by chunk in backward, so no chunk's vocabulary-sized log-softmax outlives its chunk; the caller
     * then calls {@link #backwardHead()}); with one chunk its graph is recorded as usual (no recompute, nothing large
     * kept).
     */
    public static SequenceScores fromHidden(DecoderModel model, NDArray hidden, NDArray ids, NDArray mask,
                                            boolean withWpoWeights, int positions, boolean deferHead) {
        long predicted = hidden.getShape().get(1) - 1;
        NDArray tokenLogps;
        NDArray logDenoms;
        RecomputedHead head = null;
        if (deferHead && predicted > positions) {
            head = RecomputedHead.forward(model, hidden, ids, mask, positions, withWpoWeights);
            tokenLogps = head.tokenLogps();
            logDenoms = head.logDenoms();
        } else {
            SequenceLogProbs.Chunked c = SequenceLogProbs.chunked(model, hidden, ids, mask, positions, withWpoWeights);
            tokenLogps = c.tokenLogps();
            logDenoms = c.logDenoms();
        }
        NDArray sums = tokenLogps.sum(new int[] {1});
        NDArray weights = null;
        if (withWpoWeights) {
            try (NoGrad ignored = NoGrad.enter()) {
                weights = wpoWeights(tokenLogps, logDenoms, mask, hidden.getManager());
            }
        }
        return new SequenceScores(sums, weights, head);
    }

    /**
     * The policy's scores with gradient checkpointing ({@link CheckpointedBody}): the body runs without a graph,
     * the final norm, head and log-probs with one on the body's output leaf. After backward of the loss, call
     * {@code scores().backwardHead()} and then {@code body().backward()} to carry the gradient through the blocks.
     *
     * @param scores the same values as {@link #compute}
     * @param body   the checkpointed body whose output the scores were built on
     */
    public record Checkpointed(SequenceScores scores, CheckpointedBody body) {
    }

    /** {@link #compute} with gradient checkpointing; every array goes to {@code scope}. */
    public static Checkpointed computeCheckpointed(DecoderModel model, CollatedBatch batch, NDManager scope,
                                                   boolean withWpoWeights) {
        NDArray ids = batch.inputIds(scope);
        NDArray attention = batch.attentionMask(scope);
        NDArray mask = batch.lossMask(scope);
        CheckpointedBody body = CheckpointedBody.forward(model, ids, attention);
        NDArray hidden = model.finalHidden(body.output());
        return new Checkpointed(fromHidden(model, hidden, ids, mask, withWpoWeights,
                SequenceLogProbs.trainingChunkPositions(ids.getShape().get(0), model, true), true), body);
    }

    /** exp(mean over response tokens of (log p(token) - log_denom)), without gradient; float32 [2B]. */
    private static NDArray wpoWeights(NDArray tokenLogps, NDArray logDenom, NDArray mask, NDManager scope) {
        NDArray shiftedMask = mask.get(":, 1:");
        NDArray tl = tokenLogps.stopGradient();
        tl.attach(scope);
        NDArray aligned = tl.sub(logDenom).mul(shiftedMask).sum(new int[] {1});
        NDArray counts = shiftedMask.sum(new int[] {1}).maximum(1f);
        return aligned.div(counts).exp().toType(DataType.FLOAT32, false);
    }

    /** Same, under no-grad (reference model, evaluation). */
    public static SequenceScores computeNoGrad(CausalLM model, CollatedBatch batch, NDManager scope, boolean withWpoWeights) {
        try (NoGrad ignored = NoGrad.enter()) {
            return compute(model, batch, scope, withWpoWeights);
        }
    }
}
