package dev.prefstream.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Log-probabilities of the tokens of a batch under the logits the model gave for it, as pure functions.
 * Conventions: {@code labels} are the input ids themselves ([B, T]); the logits at position j predict token j + 1,
 * so the result has T - 1 columns, column j holding log p(labels[j + 1] | labels[..j]). {@code lossMask} ([B, T],
 * over the label positions, nonzero for response tokens including EOS) selects what counts; other columns are 0.
 * The log-softmax runs in float32 whatever the logits' type: float16 logits are upcast first (differentiably,
 * {@link DtypeCast}), since a float16 log-softmax over a whole vocabulary keeps only about three significant digits.
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
