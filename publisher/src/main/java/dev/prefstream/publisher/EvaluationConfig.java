package dev.prefstream.publisher;

import dev.prefstream.trainer.dpo.TruncationMode;

/**
 * How candidates are evaluated on held-out pairs.
 *
 * @param beta             DPO beta of the implicit reward beta * (log pi(y|x) - log pi_init(y|x))
 * @param maxLength        prompt + response token limit (as in training)
 * @param maxPromptLength  prompt limit applied when a row is too long
 * @param truncation       which end of a long prompt is kept
 * @param batchPairs       pairs per forward pass
 * @param maxPairs         most held-out pairs scored per evaluation (the lowest buckets)
 * @param klPrompts        held-out prompts sampled for the KL estimate (0 = no KL)
 * @param klSamples        samples per prompt
 * @param maxNewTokens     length limit of each KL sample
 * @param seed             sampling seed (same seed, same samples: evaluations are reproducible)
 */
public record EvaluationConfig(double beta, int maxLength, int maxPromptLength, TruncationMode truncation, int batchPairs,
                               int maxPairs, int klPrompts, int klSamples, int maxNewTokens, long seed) {

    public EvaluationConfig {
        if (!(beta > 0)) {
            throw new IllegalArgumentException("beta must be > 0, got " + beta);
        }
        if (maxPromptLength < 1 || maxPromptLength >= maxLength) {
            throw new IllegalArgumentException("need 1 <= maxPromptLength < maxLength, got " + maxPromptLength + " / " + maxLength);
        }
        if (batchPairs < 1 || maxPairs < 1) {
            throw new IllegalArgumentException("batchPairs and maxPairs must be >= 1");
        }
        if (klPrompts < 0 || klSamples < 1 || maxNewTokens < 1) {
            throw new IllegalArgumentException("klPrompts must be >= 0, klSamples and maxNewTokens >= 1");
        }
    }

    /** Defaults: beta 0.1, 512/256 tokens keeping the prompt's end, 256 pairs, KL from 16 prompts x 2 samples of 48 tokens. */
    public static EvaluationConfig defaults() {
        return new EvaluationConfig(0.1, 512, 256, TruncationMode.KEEP_END, 8, 256, 16, 2, 48, 1234);
    }
}
