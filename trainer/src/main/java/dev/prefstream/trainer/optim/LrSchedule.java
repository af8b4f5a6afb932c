package dev.prefstream.trainer.optim;

import java.util.Locale;

/**
 * Learning-rate schedule with the semantics of transformers' {@code get_*_schedule_with_warmup}: the rate used by
 * the optimizer step that follows {@code completedSteps} earlier steps is {@code peakLr * factor(completedSteps)}.
 * Like transformers, the very first step of a warmup therefore runs at rate 0. Unlike transformers' cosine, the
 * rate does not rise again after {@code totalSteps}.
 *
 * @param kind        shape after the warmup
 * @param peakLr      rate reached at the end of the warmup
 * @param warmupSteps linear warmup length from 0 to peakLr (0 = none)
 * @param totalSteps  horizon of the decay for COSINE and LINEAR (ignored by CONSTANT); the rate is 0 from there on
 */
public record LrSchedule(Kind kind, double peakLr, long warmupSteps, long totalSteps) {

    /** Shape of the schedule after the warmup. */
    public enum Kind {
        /** peakLr after warmup. */
        CONSTANT,
        /** linear decay to 0 at totalSteps. */
        LINEAR,
        /** half-cosine decay to 0 at totalSteps. */
        COSINE;

        /** Parses "constant", "linear", "cosine" (case-insensitive). */
        public static Kind parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown lr schedule '" + name + "', expected constant, linear or cosine");
            }
        }
    }

    public LrSchedule {
        if (kind == null) {
            throw new IllegalArgumentException("schedule kind is required");
        }
        if (!(peakLr >= 0) || Double.isInfinite(peakLr)) {
            throw new IllegalArgumentException("peak learning rate must be finite and >= 0, got " + peakLr);
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warmupSteps must be >= 0, got " + warmupSteps);
        }
        if (kind != Kind.CONSTANT && totalSteps <= warmupSteps) {
            throw new IllegalArgumentException(kind + " schedule needs totalSteps > warmupSteps, got totalSteps="
                    + totalSteps + " warmupSteps=" + warmupSteps);
        }
    }

    /** A constant rate without warmup. */
    public static LrSchedule constant(double lr) {
        return new LrSchedule(Kind.CONSTANT, lr, 0, 0);
    }

    /** Learning rate for the step taken after {@code completedSteps} optimizer steps. */
    public double lrAt(long completedSteps) {
        long s = Math.max(0, completedSteps);
        if (s < warmupSteps) {
            return peakLr * (double) s / (double) Math.max(1, warmupSteps);
        }
        // clamped: transformers' cosine would rise again after totalSteps; here the rate stays 0 from there on
        double progress = Math.min(1.0, (double) (s - warmupSteps) / (double) Math.max(1, totalSteps - warmupSteps));
        return switch (kind) {
            case CONSTANT -> peakLr;
            case LINEAR -> peakLr * Math.max(0.0, (double) (totalSteps - s) / (double) Math.max(1, totalSteps - warmupSteps));
            case COSINE -> peakLr * Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * progress)));
        };
    }
}
