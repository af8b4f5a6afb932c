package dev.prefstream.trainer.optim;

/**
 * Hyper-parameters of {@link AdamW} other than the learning rate (which comes from the {@link LrSchedule} each
 * step). Defaults are torch.optim.AdamW's except weight decay (torch's default 1e-2 is shown by {@link #torch()}).
 *
 * @param beta1       decay of the first moment (mean of gradients)
 * @param beta2       decay of the second moment (mean of squared gradients)
 * @param eps         added to sqrt(v_hat) in the denominator (after the square root, as torch does)
 * @param weightDecay decoupled weight decay factor: p -= lr * weightDecay * p before the Adam update
 */
public record AdamWConfig(double beta1, double beta2, double eps, double weightDecay) {

    public AdamWConfig {
        if (!(beta1 >= 0 && beta1 < 1)) {
            throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
        }
        if (!(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
        }
        if (!(eps > 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("eps must be > 0, got " + eps);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weightDecay must be >= 0, got " + weightDecay);
        }
    }

    /** torch.optim.AdamW defaults: betas (0.9, 0.999), eps 1e-8, weight decay 1e-2. */
    public static AdamWConfig torch() {
        return new AdamWConfig(0.9, 0.999, 1e-8, 1e-2);
    }
}
