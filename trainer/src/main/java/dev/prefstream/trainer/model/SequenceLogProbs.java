package dev.prefstream.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.prefstream.trainer.optim.NoGrad;

/**
 * Log-probabilities of the tokens of a batch under the logits the model gave for it, as pure functions.
 * Conventions: {@code labels} are the input ids themselves ([B, T]); the logits at position j predict token j + 1,
 * so the result has T - 1 columns, column j holding log p(labels[j + 1] | labels[..j]). {@code lossMask} ([B, T],
 * over the label positions, nonzero for response tokens including EOS) selects what counts; other columns are 0.
 * The log-softmax runs in float32 whatever the logits' type: float16 logits are upcast first (differentiably,
 * {@link DtypeCast}), since a float16 log-softmax over a whole vocabulary keeps only about three significant digits.
 *
 * <p>{@link #chunked} computes the same values from the final hidden states without ever holding the [B, T, V]
 * logits: the LM head and the log-softmax run over a few positions at a time, and only the picked [B, c] log-probs
 * leave each chunk. At a 150k vocabulary one float32 [B, T, V] tensor is B x T x 0.6 MB, and the full path holds
 * about four of them during backward (logits, log-softmax, and their gradients); chunked, autograd keeps one
 * (each chunk's log-softmax output, which its backward needs) and the rest exists for one chunk at a time.
 */
public final class SequenceLogProbs {

    private SequenceLogProbs() {
    }

    /** Per-token log-probs [B, T-1], zero outside the loss mask. */
    public static NDArray tokenLogProbs(NDArray logits, NDArray labels, NDArray lossMask) {
        NDArray logp = DtypeCast.to(logits.get(":, :-1, :"), DataType.FLOAT32).logSoftmax(-1);
        NDArray targets = labels.get(":, 1:").expandDims(2);
        NDArray picked = logp.gather(targets, 2).squeeze(2);
        NDArray mask = lossMask.get(":, 1:").toType(picked.getDataType(), false);
        return picked.mul(mask);
    }

    /**
     * Elements of one chunk's [B, c, V] logits (64 MiB in float32): enough rows per matmul for full speed, small
     * next to the model at any real vocabulary.
     */
    public static final long CHUNK_ELEMENTS = 1L << 24;

    /**
     * Per-token log-probs and (on request) WPO's per-token log(sum_v p(v)^2), computed in chunks of positions.
     *
     * @param tokenLogps [B, T-1] float32, zero outside the loss mask, differentiable like {@link #tokenLogProbs}
     * @param logDenoms  [B, T-1] float32 without gradient, or null when not requested
     */
    public record Chunked(NDArray tokenLogps, NDArray logDenoms) {
    }

    /** Positions per chunk for {@code rows} rows over a vocabulary of {@code vocab}: at least 1. */
    public static int chunkPositions(long rows, long vocab) {
        return positionsFor(CHUNK_ELEMENTS, rows, vocab);
    }

    /**
     * Positions per chunk of a training step's log-probs. With a trainable head (full fine-tuning) every chunk's
     * backward makes a head-sized weight gradient of its own and adds it up: at Qwen2.5-0.5B's shape a 545 MB matmul
     * output per chunk, so 64 MiB chunks made 2 pairs x 256 tokens take ten of them, and the backward 1.7x PyTorch's
     * (37 s against 22 s with one chunk, whose peak memory was also 0.4 GB lower). So chunks then hold at least twice
     * the head's elements (the weight gradient is at most a third of a chunk's work); with gradient checkpointing,
     * chosen to save memory, at least the head's size. A frozen head (LoRA) keeps {@link #CHUNK_ELEMENTS}.
     */
    public static int trainingChunkPositions(long rows, DecoderModel model, boolean checkpointing) {
        long head = model.trainableHeadElements();
        long elements = Math.max(CHUNK_ELEMENTS, checkpointing ? head : 2 * head);
        return positionsFor(elements, rows, model.config().vocabSize());
    }

    private static int positionsFor(long elements, long rows, long vocab) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, elements / Math.max(1, rows * vocab)));
    }

    /**
     * {@link #tokenLogProbs} of {@code model.logits(hidden)} without the full logits: for each chunk of positions,
     * the head's logits, their float32 log-softmax and the target's entry, in a scope closed after the chunk. The
     * log-softmax is libtorch's one fused kernel per row, so every value equals the unchunked one; the last position
     * (which predicts nothing) is never projected.
     *
     * @param hidden    [B, T, H] final hidden states ({@link DecoderModel#finalHidden})
     * @param positions positions per chunk (see {@link #chunkPositions})
     * @param withLogDenoms also compute WPO's log(sum_v p(v)^2) per token, without gradient
     * @return arrays in the manager of {@code hidden}
     */
    public static Chunked chunked(DecoderModel model, NDArray hidden, NDArray labels, NDArray lossMask, int positions,
                                  boolean withLogDenoms) {
        Chunked raw = pickedInChunks(model, hidden, labels, positions, withLogDenoms);
        return new Chunked(masked(raw.tokenLogps(), lossMask), raw.logDenoms());
    }

    /** {@code logps} [B, T-1] times the loss mask's label positions, as float32. */
    static NDArray masked(NDArray logps, NDArray lossMask) {
        return logps.mul(lossMask.get(":, 1:").toType(DataType.FLOAT32, false));
    }

    /**
     * The loop of {@link #chunked}: for each chunk of positions, the head's logits, their float32 log-softmax and
     * the target's entry, in a scope closed after the chunk; recorded for autograd when grad mode is on.
     *
     * @return the picked log-probs [B, T-1] before masking, and the WPO denominators or null
     */
    static Chunked pickedInChunks(DecoderModel model, NDArray hidden, NDArray labels, int positions,
                                  boolean withLogDenoms) {
        if (positions < 1) {
            throw new IllegalArgumentException("positions per chunk must be >= 1, got " + positions);
        }
        NDManager out = hidden.getManager();
        long predicted = hidden.getShape().get(1) - 1;
        NDList picked = new NDList();
        NDList denoms = new NDList();
        for (long from = 0; from < predicted; from += positions) {
            long to = Math.min(predicted, from + positions);
            try (NDManager chunk = out.newSubManager()) {
                NDArray logits = model.logits(slice(hidden, from, to, chunk));
                NDArray p = pick(logits, labels, from, to, chunk);
                p.attach(out);
                picked.add(p);
                if (withLogDenoms) {
                    try (NoGrad ignored = NoGrad.enter()) {
                        // log(sum_v softmax(x)_v^2), as the unchunked WPO weights compute it
                        NDArray detached = logits.stopGradient();
                        detached.attach(chunk);
                        NDArray d = detached.softmax(-1).square().sum(new int[] {2}).log();
                        d.attach(out);
                        denoms.add(d);
                    }
                }
            }
        }
        NDArray logps = picked.size() == 1 ? picked.get(0) : NDArrays.concat(picked, 1);
        NDArray logDenoms = null;
        if (withLogDenoms) {
            logDenoms = denoms.size() == 1 ? denoms.get(0) : NDArrays.concat(denoms, 1);
        }
        return new Chunked(logps, logDenoms);
    }

    /** Positions [from, to) of {@code hidden} [B, T, H], in {@code scope}. */
    static NDArray slice(NDArray hidden, long from, long to, NDManager scope) {
        NDArray h = hidden.get(":, {}:{}, :", from, to);
        h.attach(scope);
        return h;
    }

    /** log-softmax of one chunk's logits [B, c, V] at the targets labels[:, from+1 .. to+1): [B, c], in scope. */
    static NDArray pick(NDArray logits, NDArray labels, long from, long to, NDManager scope) {
        NDArray targets = labels.get(":, {}:{}", from + 1, to + 1);
        targets.attach(scope);
        return logits.logSoftmax(-1).gather(targets.expandDims(2), 2).squeeze(2);
    }

    /** Per-sequence SUM of the masked token log-probs, [B]. */
    public static NDArray sumLogProbs(NDArray logits, NDArray labels, NDArray lossMask) {
        return tokenLogProbs(logits, labels, lossMask).sum(new int[] {1});
    }

    /** Per-sequence MEAN over the masked tokens (IPO), [B]; a row without tokens gives 0/0 = NaN. */
    public static NDArray meanLogProbs(NDArray logits, NDArray labels, NDArray lossMask) {
        NDArray count = lossMask.get(":, 1:").toType(DataType.FLOAT32, false).sum(new int[] {1});
        return sumLogProbs(logits, labels, lossMask).div(count);
    }
}
