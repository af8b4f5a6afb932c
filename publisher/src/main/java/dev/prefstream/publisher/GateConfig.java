package dev.prefstream.publisher;

/**
 * The promotion gate's thresholds.
 *
 * @param minAccuracy       held-out preference accuracy a candidate needs when nothing was promoted before
 * @param accuracyTolerance a candidate may be at most this much less accurate than the last promoted checkpoint
 * @param maxKl             KL(candidate || initial) bound in nats per response (drift guard); infinity = off
 * @param minHeldOutPairs   fewer held-out pairs than this and the evaluation is too noisy to promote
 */
public record GateConfig(double minAccuracy, double accuracyTolerance, double maxKl, int minHeldOutPairs) {

    public GateConfig {
        if (!(minAccuracy >= 0 && minAccuracy <= 1)) {
            throw new IllegalArgumentException("minAccuracy must be in [0, 1], got " + minAccuracy);
        }
        if (!(accuracyTolerance >= 0)) {
            throw new IllegalArgumentException("accuracyTolerance must be >= 0, got " + accuracyTolerance);
        }
        if (!(maxKl > 0)) {
            throw new IllegalArgumentException("maxKl must be > 0, got " + maxKl);
        }
        if (minHeldOutPairs < 0) {
            throw new IllegalArgumentException("minHeldOutPairs must be >= 0, got " + minHeldOutPairs);
        }
    }

    /** Defaults: better than chance to start, 2 points of tolerance, KL under 10 nats, at least 8 held-out pairs. */
    public static GateConfig defaults() {
        return new GateConfig(0.5, 0.02, 10.0, 8);
    }
}
