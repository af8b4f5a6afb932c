package dev.prefstream.trainer.dpo;

import dev.prefstream.trainer.tokenizer.TextTokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Tokenizes and collates pairs into one concatenated [chosen; rejected] batch (see {@link CollatedBatch}).
 *
 * <p>The prompt is encoded with {@link TextTokenizer#encodePrompt} (one BOS when the model uses one, never two) and
 * every response is followed by {@link TextTokenizer#responseEndId()} (the chat template's end-of-turn token, else
 * EOS; called "EOS" below). Length control follows TRL's pre-0.20 DPO tokenization: if
 * {@code prompt + longer response} exceeds {@code maxLength}, the prompt is first cut to {@code maxPromptLength}
 * (keeping its start or its end); if still too long, both responses are cut to {@code maxLength - prompt}
 * (which can remove the EOS). Nothing is dropped silently: every cut is counted in the batch, and an empty
 * response after truncation cannot happen because {@code maxPromptLength < maxLength}.
 */
public final class PairCollator {

    private final TextTokenizer tokenizer;
    private final int maxLength;
    private final int maxPromptLength;
    private final TruncationMode mode;

    /**
     * @param tokenizer       encodes text without special tokens; its EOS ends every response and pads rows
     * @param maxLength       limit on prompt + response tokens per row
     * @param maxPromptLength limit the prompt is cut to when a row is too long (must be &lt; maxLength)
     * @param mode            which end of the prompt is kept
     */
    public PairCollator(TextTokenizer tokenizer, int maxLength, int maxPromptLength, TruncationMode mode) {
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength must be >= 2, got " + maxLength);
        }
        if (maxPromptLength < 1 || maxPromptLength >= maxLength) {
            throw new IllegalArgumentException("maxPromptLength must be in [1, maxLength), got " + maxPromptLength
                    + " with maxLength " + maxLength);
        }
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
        this.maxPromptLength = maxPromptLength;
        this.mode = mode;
    }

    /** Token ids of one pair after EOS and truncation. */
    public record TokenizedPair(long[] prompt, long[] chosen, long[] rejected, boolean promptTruncated,
                                int responsesTruncated) {
    }

    /** Tokenizes one pair (prompt, response + EOS) and applies the length limits. */
    public TokenizedPair tokenize(TextPair pair) {
        long eos = tokenizer.responseEndId();
        long[] p = tokenizer.encodePrompt(pair.prompt());
        long[] c = withEos(tokenizer.encode(pair.chosen()), eos);
        long[] r = withEos(tokenizer.encode(pair.rejected()), eos);
        return truncate(p, c, r);
    }

    /** Applies the length limits to already tokenized ids (responses already ending with EOS). */
    public TokenizedPair truncate(long[] p, long[] c, long[] r) {
        boolean promptCut = false;
        int responsesCut = 0;
        int longer = Math.max(c.length, r.length);
        if (p.length + longer > maxLength && p.length > maxPromptLength) {
            p = mode == TruncationMode.KEEP_START
                    ? Arrays.copyOfRange(p, 0, maxPromptLength)
                    : Arrays.copyOfRange(p, p.length - maxPromptLength, p.length);
            promptCut = true;
        }
        int room = maxLength - p.length;
        if (c.length > room) {
            c = Arrays.copyOf(c, room);
            responsesCut++;
        }
        if (r.length > room) {
            r = Arrays.copyOf(r, room);
            responsesCut++;
        }
        return new TokenizedPair(p, c, r, promptCut, responsesCut);
    }

    /** Tokenizes and collates {@code pairs} into one batch of 2B rows. */
    public CollatedBatch collate(List<TextPair> pairs) {
        List<TokenizedPair> tokenized = new ArrayList<>(pairs.size());
        float[] weights = new float[pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            tokenized.add(tokenize(pairs.get(i)));
            weights[i] = (float) pairs.get(i).weight();
        }
        return collateTokenized(tokenized, weights, tokenizer.eosId());
    }

    /** Collates already tokenized pairs (padding with {@code padId}, which is masked out everywhere). */
    public static CollatedBatch collateTokenized(List<TokenizedPair> pairs, float[] weights, long padId) {
        int b = pairs.size();
        if (b == 0) {
            throw new IllegalArgumentException("cannot collate an empty batch");
        }
        int t = 0;
        for (TokenizedPair tp : pairs) {
            t = Math.max(t, tp.prompt().length + Math.max(tp.chosen().length, tp.rejected().length));
        }
        long[] ids = new long[2 * b * t];
        Arrays.fill(ids, padId);
        long[] attention = new long[2 * b * t];
        float[] mask = new float[2 * b * t];
        float[] counts = new float[2 * b];
        long real = 0;
        int truncatedPairs = 0;
        int truncatedPrompts = 0;
        int truncatedResponses = 0;
        for (int i = 0; i < b; i++) {
            TokenizedPair tp = pairs.get(i);
            real += fillRow(ids, attention, mask, i * t, tp.prompt(), tp.chosen());
            real += fillRow(ids, attention, mask, (b + i) * t, tp.prompt(), tp.rejected());
            counts[i] = countedTokens(tp.prompt(), tp.chosen());
            counts[b + i] = countedTokens(tp.prompt(), tp.rejected());
            if (tp.promptTruncated() || tp.responsesTruncated() > 0) {
                truncatedPairs++;
            }
            truncatedPrompts += tp.promptTruncated() ? 1 : 0;
            truncatedResponses += tp.responsesTruncated();
        }
        return new CollatedBatch(b, t, ids, attention, mask, counts, real, truncatedPairs, truncatedPrompts,
                truncatedResponses, weights.clone());
    }

    private static int fillRow(long[] ids, long[] attention, float[] mask, int offset, long[] prompt, long[] response) {
        System.arraycopy(prompt, 0, ids, offset, prompt.length);
        System.arraycopy(response, 0, ids, offset + prompt.length, response.length);
        int n = prompt.length + response.length;
        Arrays.fill(attention, offset, offset + n, 1L);
        // position 0 has no prediction (nothing before it), so with an empty prompt the first response token
        // cannot count
        Arrays.fill(mask, offset + Math.max(1, prompt.length), offset + Math.max(1, n), 1f);
        return n;
    }

    private static int countedTokens(long[] prompt, long[] response) {
        return prompt.length == 0 ? Math.max(0, response.length - 1) : response.length;
    }

    private static long[] withEos(long[] ids, long eos) {
        long[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = eos;
        return out;
    }
}
