package dev.prefstream.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prefstream.trainer.tokenizer.TextTokenizer;

/**
 * Scores one preference pair given as text: the summed log-probability of each response (the tokenizer's
 * response end, end-of-turn or EOS, appended and counted; the prompt with its BOS, see
 * {@link TextTokenizer#encodePrompt}) after the prompt, exactly as the fixtures and TRL define it. The two sequences run as one right-padded
 * batch in a per-call scope. No truncation: a pair longer than the context is rejected with its length.
 */
public final class PairLogProbScorer {

    /** Summed log-probs and token counts (EOS included) of the two responses. */
    public record Scores(double chosen, double rejected, int chosenTokens, int rejectedTokens) {
    }

    private final DecoderModel model;
    private final TextTokenizer tokenizer;

    public PairLogProbScorer(DecoderModel model, TextTokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
    }

    /** Scores {@code chosen} and {@code rejected} as continuations of {@code prompt}. */
    public Scores score(String prompt, String chosen, String rejected) {
        long[] p = tokenizer.encodePrompt(prompt);
        long[] c = withEos(tokenizer.encode(chosen));
        long[] r = withEos(tokenizer.encode(rejected));
        if (p.length == 0) {
            throw new IllegalArgumentException("the prompt is empty (no tokens to condition on)");
        }
        int t = p.length + Math.max(c.length, r.length);
        if (t > model.config().maxPositions()) {
            throw new IllegalArgumentException("prompt + response is " + t + " tokens, more than the model's context of "
                    + model.config().maxPositions());
        }
        long[] ids = new long[2 * t];
        long[] attention = new long[2 * t];
        long[] loss = new long[2 * t];
        long[][] responses = {c, r};
        for (int row = 0; row < 2; row++) {
            int off = row * t;
            System.arraycopy(p, 0, ids, off, p.length);
            System.arraycopy(responses[row], 0, ids, off + p.length, responses[row].length);
            int len = p.length + responses[row].length;
            java.util.Arrays.fill(ids, off + len, off + t, tokenizer.eosId());
            java.util.Arrays.fill(attention, off, off + len, 1);
            java.util.Arrays.fill(loss, off + p.length, off + len, 1);
        }
        try (NDManager scope = model.manager().newSubManager()) {
            NDArray input = scope.create(ids, new Shape(2, t));
            NDArray logits = model.forward(input, scope.create(attention, new Shape(2, t)));
            float[] sums = SequenceLogProbs.sumLogProbs(logits, input, scope.create(loss, new Shape(2, t))).toFloatArray();
            return new Scores(sums[0], sums[1], c.length, r.length);
        }
    }

    private long[] withEos(long[] ids) {
        long[] out = java.util.Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = tokenizer.responseEndId();
        return out;
    }
}
