package dev.prefstream.trainer.dpo;

import com.fasterxml.jackson.annotation.JsonAlias;
import dev.prefstream.trainer.lora.LoraConfig;
import dev.prefstream.trainer.optim.AdamWConfig;
import dev.prefstream.trainer.optim.LrSchedule;

/**
 * Everything that determines a DPO training run (serialised into every trainer checkpoint).
 *
 * @param learningRate       peak learning rate of AdamW (after warmup)
 * @param beta1              AdamW first-moment decay
 * @param beta2              AdamW second-moment decay
 * @param eps                AdamW epsilon (added after the square root)
 * @param weightDecay        AdamW decoupled weight decay
 * @param warmupSteps        linear warmup from 0 over this many optimizer steps
 * @param schedule           shape after warmup: constant, linear or cosine (horizon decaySteps)
 * @param decaySteps         horizon of the linear/cosine schedules: the rate reaches 0 at this step (ignored by
 *                           constant; training does not stop there, that is the streaming config's stopAtStep).
 *                           Saved states before the rename call it {@code maxSteps}
 * @param clipNorm           global gradient-norm clip threshold; 0 disables clipping
 * @param pairsPerOptimizerStep pairs per optimizer step that callers batch (set from the streaming config, which owns
 *                           batching; the bench sets it directly). Saved states before the rename call it {@code pairsPerStep}
 * @param gradientAccumulation micro-batches per optimizer step, at most pairsPerOptimizerStep. Saved states before the
 *                           rename call it {@code accumulation}
 * @param maxLength          max tokens per row (prompt + response + EOS)
 * @param maxPromptLength    length the prompt is cut to when a row exceeds maxLength (&lt; maxLength)
 * @param truncation         which end of an over-long prompt is kept
 * @param dpo                loss types, weights, beta, label smoothing, WPO
 * @param referenceMode      fixed, refresh at iteration boundaries, or TR-DPO mixing
 * @param trAlpha            TR-DPO mixing weight alpha in (0, 1]: ref = alpha * policy + (1 - alpha) * ref
 * @param trEverySteps       TR-DPO period in optimizer steps
 * @param referenceCacheSize pairs whose reference log-probs are cached per reference version (0 = always forward)
 * @param seed               seed recorded with the run (the step itself is deterministic; no dropout)
 * @param precision          fp32 (default) or fp16 mixed precision (GPU only)
 * @param gradientCheckpointing recompute each decoder block in backward instead of keeping its activations
 *                           ({@link dev.prefstream.trainer.model.CheckpointedBody}): about a third more compute
 *                           for activation memory of one block; same gradients. Off by default
 * @param lora               LoRA adapters (rank 0 = full fine-tuning, the default); null reads as none (older states)
 * @param referencePlacement where a full fine-tuning run keeps the reference's weights ({@link ReferencePlacement});
 *                           null reads as DEVICE (older states); a choice of hardware, not a hyperparameter
 */
public record TrainerConfig(double learningRate, double beta1, double beta2, double eps, double weightDecay,
                            long warmupSteps, LrSchedule.Kind schedule, @JsonAlias("maxSteps") long decaySteps, double clipNorm,
                            @JsonAlias("pairsPerStep") int pairsPerOptimizerStep,
                            @JsonAlias("accumulation") int gradientAccumulation, int maxLength, int maxPromptLength,
                            TruncationMode truncation, DpoConfig dpo, ReferenceMode referenceMode, double trAlpha,
                            int trEverySteps, int referenceCacheSize, long seed, Precision precision,
                            boolean gradientCheckpointing, LoraConfig lora, ReferencePlacement referencePlacement) {

    public TrainerConfig {
        if (!(learningRate >= 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + learningRate);
        }
        if (!(clipNorm >= 0) || Double.isInfinite(clipNorm)) {
            throw new IllegalArgumentException("clip norm must be finite and >= 0 (0 = off), got " + clipNorm);
        }
        if (pairsPerOptimizerStep < 1) {
            throw new IllegalArgumentException("pairs per optimizer step must be >= 1, got " + pairsPerOptimizerStep);
        }
        if (gradientAccumulation < 1 || gradientAccumulation > pairsPerOptimizerStep) {
            throw new IllegalArgumentException("gradient accumulation must be in [1, pairsPerOptimizerStep=" + pairsPerOptimizerStep
                    + "], got " + gradientAccumulation);
        }
        if (maxPromptLength < 1 || maxPromptLength >= maxLength) {
            throw new IllegalArgumentException("need 1 <= maxPromptLength < maxLength, got " + maxPromptLength + " / "
                    + maxLength);
        }
        if (truncation == null || schedule == null || dpo == null || referenceMode == null || precision == null) {
            throw new IllegalArgumentException("truncation, schedule, dpo, referenceMode and precision are required");
        }
        if (!(trAlpha > 0 && trAlpha <= 1)) {
            throw new IllegalArgumentException("TR-DPO alpha must be in (0, 1], got " + trAlpha);
        }
        if (trEverySteps < 1) {
            throw new IllegalArgumentException("TR-DPO period must be >= 1 step, got " + trEverySteps);
        }
        if (referenceCacheSize < 0) {
            throw new IllegalArgumentException("reference cache size must be >= 0, got " + referenceCacheSize);
        }
        lora = lora == null ? LoraConfig.none() : lora;
        referencePlacement = referencePlacement == null ? ReferencePlacement.DEVICE : referencePlacement;
        if (lora.enabled() && referencePlacement == ReferencePlacement.HOST) {
            throw new IllegalArgumentException("reference placement host needs full fine-tuning: with LoRA adapters the "
                    + "reference is the policy's own base with the adapters off, not a copy that could live elsewhere");
        }
        if (lora.enabled() && referenceMode == ReferenceMode.TR_DPO) {
            throw new IllegalArgumentException("TR-DPO soft reference mixing cannot be combined with LoRA adapters: "
                    + "the reference is the base with the adapters switched off, and a mix alpha * (W + BA) + "
                    + "(1 - alpha) * ref is no longer a base plus a low-rank adapter; use reference mode fixed or "
                    + "refresh (merges the adapters into the base at iteration boundaries), or full fine-tuning "
                    + "(--lora-rank 0)");
        }
        // validates betas/eps/weight decay and the schedule's own constraints
        new AdamWConfig(beta1, beta2, eps, weightDecay);
        new LrSchedule(schedule, learningRate, warmupSteps, decaySteps);
    }

    /** AdamW part. */
    public AdamWConfig adamW() {
        return new AdamWConfig(beta1, beta2, eps, weightDecay);
    }

    /** Learning-rate schedule. */
    public LrSchedule lrSchedule() {
        return new LrSchedule(schedule, learningRate, warmupSteps, decaySteps);
    }

    /**
     * Defaults: TRL's DPO defaults where they exist (lr 1e-6, beta 0.1, sigmoid, max length 1024, prompt 512,
     * clip 1.0, AdamW 0.9/0.999/1e-8 without weight decay), a constant schedule (streams have no end),
     * 8 pairs per step, no accumulation, fixed reference, fp32.
     */
    public static TrainerConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder initialised with this config's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.learningRate = learningRate;
        b.beta1 = beta1;
        b.beta2 = beta2;
        b.eps = eps;
        b.weightDecay = weightDecay;
        b.warmupSteps = warmupSteps;
        b.schedule = schedule;
        b.decaySteps = decaySteps;
        b.clipNorm = clipNorm;
        b.pairsPerOptimizerStep = pairsPerOptimizerStep;
        b.gradientAccumulation = gradientAccumulation;
        b.maxLength = maxLength;
        b.maxPromptLength = maxPromptLength;
        b.truncation = truncation;
        b.dpo = dpo;
        b.referenceMode = referenceMode;
        b.trAlpha = trAlpha;
        b.trEverySteps = trEverySteps;
        b.referenceCacheSize = referenceCacheSize;
        b.seed = seed;
        b.precision = precision;
        b.gradientCheckpointing = gradientCheckpointing;
        b.lora = lora;
        b.referencePlacement = referencePlacement;
        return b;
    }

    /** Fluent construction; {@link #build()} validates. */
    public static final class Builder {
        private double learningRate = 1e-6;
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double eps = 1e-8;
        private double weightDecay = 0.0;
        private long warmupSteps = 0;
        private LrSchedule.Kind schedule = LrSchedule.Kind.CONSTANT;
        private long decaySteps = 0;
        private double clipNorm = 1.0;
        private int pairsPerOptimizerStep = 8;
        private int gradientAccumulation = 1;
        private int maxLength = 1024;
        private int maxPromptLength = 512;
        private TruncationMode truncation = TruncationMode.KEEP_END;
        private DpoConfig dpo = DpoConfig.defaults();
        private ReferenceMode referenceMode = ReferenceMode.FIXED;
        private double trAlpha = 0.6;
        private int trEverySteps = 512;
        private int referenceCacheSize = 0;
        private long seed = 42;
        private Precision precision = Precision.FP32;
        private boolean gradientCheckpointing = false;
        private LoraConfig lora = LoraConfig.none();
        private ReferencePlacement referencePlacement = ReferencePlacement.DEVICE;

        public Builder learningRate(double v) { learningRate = v; return this; }
        public Builder betas(double b1, double b2) { beta1 = b1; beta2 = b2; return this; }
        public Builder eps(double v) { eps = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder warmupSteps(long v) { warmupSteps = v; return this; }
        public Builder schedule(LrSchedule.Kind v) { schedule = v; return this; }
        public Builder decaySteps(long v) { decaySteps = v; return this; }
        public Builder clipNorm(double v) { clipNorm = v; return this; }
        public Builder pairsPerOptimizerStep(int v) { pairsPerOptimizerStep = v; return this; }
        public Builder gradientAccumulation(int v) { gradientAccumulation = v; return this; }
        public Builder maxLength(int v) { maxLength = v; return this; }
        public Builder maxPromptLength(int v) { maxPromptLength = v; return this; }
        public Builder truncation(TruncationMode v) { truncation = v; return this; }
        public Builder dpo(DpoConfig v) { dpo = v; return this; }
        public Builder referenceMode(ReferenceMode v) { referenceMode = v; return this; }
        public Builder trAlpha(double v) { trAlpha = v; return this; }
        public Builder trEverySteps(int v) { trEverySteps = v; return this; }
        public Builder referenceCacheSize(int v) { referenceCacheSize = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder precision(Precision v) { precision = v; return this; }
        public Builder gradientCheckpointing(boolean v) { gradientCheckpointing = v; return this; }
        public Builder lora(LoraConfig v) { lora = v; return this; }
        public Builder referencePlacement(ReferencePlacement v) { referencePlacement = v; return this; }

        public TrainerConfig build() {
            return new TrainerConfig(learningRate, beta1, beta2, eps, weightDecay, warmupSteps, schedule, decaySteps,
                    clipNorm, pairsPerOptimizerStep, gradientAccumulation, maxLength, maxPromptLength, truncation, dpo, referenceMode,
                    trAlpha, trEverySteps, referenceCacheSize, seed, precision, gradientCheckpointing, lora,
                    referencePlacement);
        }
    }
}
