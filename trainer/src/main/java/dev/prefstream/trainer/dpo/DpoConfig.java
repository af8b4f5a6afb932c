package dev.prefstream.trainer.dpo;

import java.util.List;

/**
 * DPO loss configuration (TRL {@code DPOConfig} names in parentheses).
 *
 * @param beta           strength of the KL regularisation towards the reference; IPO's tau ({@code beta})
 * @param labelSmoothing assumed label-noise rate for cDPO (sigmoid), robust and exo_pair ({@code label_smoothing})
 * @param lossTypes      one or more losses, summed with {@code lossWeights} (MPO style) ({@code loss_type})
 * @param lossWeights    weight of each loss, same length as lossTypes ({@code loss_weights}, default all 1)
 * @param discopopTau    temperature of the DiscoPOP modulation ({@code discopop_tau})
 * @param useWeighting   WPO: weight each pair's loss by the policy's length-normalised probability of both
 *                       responses, detached ({@code use_weighting})
 */
public record DpoConfig(double beta, double labelSmoothing, List<LossType> lossTypes, List<Double> lossWeights,
                        double discopopTau, boolean useWeighting) {

    public DpoConfig {
        if (!(beta > 0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException("beta must be finite and > 0, got " + beta);
        }
        if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
            throw new IllegalArgumentException("label smoothing must be in [0, 0.5), got " + labelSmoothing);
        }
        if (lossTypes == null || lossTypes.isEmpty()) {
            throw new IllegalArgumentException("at least one loss type is required");
        }
        lossTypes = List.copyOf(lossTypes);
        if (lossWeights == null || lossWeights.isEmpty()) {
            lossWeights = lossTypes.stream().map(t -> 1.0).toList();
        }
        lossWeights = List.copyOf(lossWeights);
        if (lossWeights.size() != lossTypes.size()) {
            throw new IllegalArgumentException("loss weights (" + lossWeights.size() + ") must match loss types ("
                    + lossTypes.size() + ")");
        }
        for (double w : lossWeights) {
            if (!Double.isFinite(w)) {
                throw new IllegalArgumentException("loss weights must be finite, got " + lossWeights);
            }
        }
        if (lossTypes.contains(LossType.EXO_PAIR) && labelSmoothing == 0) {
            throw new IllegalArgumentException("exo_pair needs label smoothing > 0 (the EXO paper suggests 1e-3)");
        }
        if (!(discopopTau > 0) || Double.isInfinite(discopopTau)) {
            throw new IllegalArgumentException("discopop tau must be finite and > 0, got " + discopopTau);
        }
    }

    /** TRL defaults: sigmoid DPO, beta 0.1, no label smoothing, discopop tau 0.05, no WPO weighting. */
    public static DpoConfig defaults() {
        return of(0.1, LossType.SIGMOID);
    }

    /** One loss type with weight 1 and the given beta. */
    public static DpoConfig of(double beta, LossType type) {
        return new DpoConfig(beta, 0.0, List.of(type), List.of(1.0), 0.05, false);
    }

    /** Copy with a different label smoothing. */
    public DpoConfig withLabelSmoothing(double ls) {
        return new DpoConfig(beta, ls, lossTypes, lossWeights, discopopTau, useWeighting);
    }

    /** Copy with different losses and weights. */
    public DpoConfig withLosses(List<LossType> types, List<Double> weights) {
        return new DpoConfig(beta, labelSmoothing, types, weights, discopopTau, useWeighting);
    }

    /** Copy with WPO weighting on or off. */
    public DpoConfig withWeighting(boolean on) {
        return new DpoConfig(beta, labelSmoothing, lossTypes, lossWeights, discopopTau, on);
    }
}
