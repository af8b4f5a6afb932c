package dev.prefstream.trainer.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * B pairs as ONE right-padded batch of 2B rows: rows 0..B-1 are prompt+chosen, rows B..2B-1 prompt+rejected.
 * Host-side arrays (row-major [2B, T]); {@link #inputIds(NDManager)} and friends create the device arrays.
 *
 * @param pairs            B
 * @param seqLen           T, the longest row (no padding beyond it)
 * @param ids              token ids, padding filled with the pad id
 * @param attention        1 for real tokens, 0 for padding
 * @param responseMask     1 at the positions of response tokens (EOS included): the label positions that count
 * @param responseTokens   response tokens per row [2B] (after truncation)
 * @param realTokens       non-padding tokens over all rows (prompt + response, chosen and rejected)
 * @param truncatedPairs   pairs of this batch that were truncated in any way
 * @param truncatedPrompts prompts shortened to the prompt limit
 * @param truncatedResponses responses (chosen or rejected) shortened to fit the length limit
 * @param weights          per-pair weights [B]
 */
public record CollatedBatch(int pairs, int seqLen, long[] ids, long[] attention, float[] responseMask,
                            float[] responseTokens, long realTokens, int truncatedPairs, int truncatedPrompts,
                            int truncatedResponses, float[] weights) {

    /** int64 [2B, T]. */
    public NDArray inputIds(NDManager m) {
        return m.create(ids, new Shape(2L * pairs, seqLen));
    }

    /** int64 [2B, T]. */
    public NDArray attentionMask(NDManager m) {
        return m.create(attention, new Shape(2L * pairs, seqLen));
    }

    /** float32 [2B, T], 1 at response token positions. */
    public NDArray lossMask(NDManager m) {
        return m.create(responseMask, new Shape(2L * pairs, seqLen));
    }

    /** float32 [2B]: response tokens per row. */
    public NDArray tokenCounts(NDManager m) {
        return m.create(responseTokens);
    }

    /** float32 [B]. */
    public NDArray pairWeights(NDManager m) {
        return m.create(weights);
    }

    /** True if every pair has weight exactly 1 (then weighting is skipped). */
    public boolean unitWeights() {
        for (float w : weights) {
            if (w != 1f) {
                return false;
            }
        }
        return true;
    }
}
