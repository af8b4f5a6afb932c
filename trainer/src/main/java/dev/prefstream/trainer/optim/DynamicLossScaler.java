package dev.prefstream.trainer.optim;

/**
 * Dynamic loss scaling for float16 training, with the policy of {@code torch.amp.GradScaler}: the loss is
 * multiplied by {@link #scale()} before backward; after backward the gradients are multiplied by
 * {@link #inverseScale()}; if any gradient is inf/NaN the optimizer step is skipped and the scale is multiplied by
 * {@code backoffFactor}; after {@code growthInterval} consecutive good steps it is multiplied by
 * {@code growthFactor}. Pure host-side logic: the inf/NaN check itself is done on the device by the caller and
 * read back together with the step's metrics (one host sync per step).
 */
public final class DynamicLossScaler {

    private double scale;
    private final double growthFactor;
    private final double backoffFactor;
    private final int growthInterval;
    private int goodSteps;
    private long skippedSteps;

    /**
     * @param initialScale   starting scale (torch: 2^16)
     * @param growthFactor   factor after growthInterval good steps (torch: 2)
     * @param backoffFactor  factor after an overflow (torch: 0.5)
     * @param growthInterval good steps between growths (torch: 2000)
     */
    public DynamicLossScaler(double initialScale, double growthFactor, double backoffFactor, int growthInterval) {
        if (!(initialScale > 0) || Double.isInfinite(initialScale)) {
            throw new IllegalArgumentException("initial scale must be finite and > 0, got " + initialScale);
        }
        if (!(growthFactor > 1)) {
            throw new IllegalArgumentException("growth factor must be > 1, got " + growthFactor);
        }
        if (!(backoffFactor > 0 && backoffFactor < 1)) {
            throw new IllegalArgumentException("backoff factor must be in (0, 1), got " + backoffFactor);
        }
        if (growthInterval < 1) {
            throw new IllegalArgumentException("growth interval must be >= 1, got " + growthInterval);
        }
        this.scale = initialScale;
        this.growthFactor = growthFactor;
        this.backoffFactor = backoffFactor;
        this.growthInterval = growthInterval;
    }

    /** torch.amp.GradScaler defaults. */
    public static DynamicLossScaler torchDefaults() {
        return new DynamicLossScaler(65536.0, 2.0, 0.5, 2000);
    }

    public double scale() {
        return scale;
    }

    public double inverseScale() {
        return 1.0 / scale;
    }

    /** Steps skipped so far because of inf/NaN gradients. */
    public long skippedSteps() {
        return skippedSteps;
    }

    /** Consecutive good steps since the last change of scale. */
    public int goodSteps() {
        return goodSteps;
    }

    /**
     * Records the outcome of a step.
     *
     * @param foundNonFinite whether any unscaled gradient was inf/NaN
     * @return true if the optimizer step must be applied, false if it must be skipped
     */
    public boolean update(boolean foundNonFinite) {
        if (foundNonFinite) {
            scale *= backoffFactor;
            goodSteps = 0;
            skippedSteps++;
            return false;
        }
        goodSteps++;
        if (goodSteps >= growthInterval) {
            scale *= growthFactor;
            goodSteps = 0;
        }
        return true;
    }

    /** Restores the state saved with a checkpoint. */
    public void restore(double savedScale, int savedGoodSteps, long savedSkippedSteps) {
        this.scale = savedScale;
        this.goodSteps = savedGoodSteps;
        this.skippedSteps = savedSkippedSteps;
    }
}
