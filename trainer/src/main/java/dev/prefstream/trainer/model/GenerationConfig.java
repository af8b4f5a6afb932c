package dev.prefstream.trainer.model;

/**
 * How to sample continuations.
 *
 * @param maxNewTokens most tokens generated per prompt (EOS ends a row earlier)
 * @param temperature  logits are divided by it before sampling; 0 means greedy (argmax)
 * @param topP         nucleus sampling: sample among the most likely tokens whose mass reaches topP (1 = all)
 * @param seed         seeds the sampler, so equal inputs give equal outputs
 * @param useCache     keep keys/values between steps (true) or recompute the whole sequence every step
 */
public record GenerationConfig(int maxNewTokens, double temperature, double topP, long seed, boolean useCache) {

    public GenerationConfig {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("maxNewTokens must be >= 0, got " + maxNewTokens);
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
    }

    /** Greedy decoding with the cache. */
    public static GenerationConfig greedy(int maxNewTokens) {
        return new GenerationConfig(maxNewTokens, 0.0, 1.0, 0L, true);
    }

    /** Sampling with the cache. */
    public static GenerationConfig sampling(int maxNewTokens, double temperature, double topP, long seed) {
        return new GenerationConfig(maxNewTokens, temperature, topP, seed, true);
    }

    /** The same settings with or without the cache. */
    public GenerationConfig withCache(boolean cache) {
        return new GenerationConfig(maxNewTokens, temperature, topP, seed, cache);
    }
}
