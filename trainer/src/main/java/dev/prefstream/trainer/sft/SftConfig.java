package dev.prefstream.trainer.sft;

/**
 * Settings of a supervised fine-tuning run (NLL of the response tokens, prompt masked out).
 *
 * @param learningRate peak AdamW learning rate
 * @param warmupSteps  linear warmup from 0 over this many steps
 * @param totalSteps   horizon of the cosine decay (the rate is 0 from there on)
 * @param clipNorm     global gradient-norm clip threshold; 0 disables clipping
 * @param weightDecay  AdamW decoupled weight decay
 * @param maxLength    max tokens per row (prompt + response + EOS); longer prompts lose their start
 */
public record SftConfig(double learningRate, long warmupSteps, long totalSteps, double clipNorm, double weightDecay,
                        int maxLength) {

    public SftConfig {
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be finite and > 0, got " + learningRate);
        }
        if (warmupSteps < 0 || totalSteps <= warmupSteps) {
            throw new IllegalArgumentException("need 0 <= warmupSteps < totalSteps, got " + warmupSteps + " / " + totalSteps);
        }
        if (!(clipNorm >= 0) || Double.isInfinite(clipNorm)) {
            throw new IllegalArgumentException("clip norm must be finite and >= 0, got " + clipNorm);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weight decay must be finite and >= 0, got " + weightDecay);
        }
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength must be >= 2, got " + maxLength);
        }
    }

    /** A cosine run of {@code steps} steps at peak rate {@code lr}, 5% warmup, clip 1.0, no weight decay, 256 tokens. */
    public static SftConfig of(long steps, double lr) {
        return new SftConfig(lr, Math.max(1, steps / 20), Math.max(2, steps), 1.0, 0.0, 256);
    }
}
