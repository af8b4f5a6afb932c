package dev.prefstream.publisher;

import dev.prefstream.schemas.avro.CheckpointStatus;

import java.util.Locale;
import java.util.OptionalDouble;

/**
 * Decides PROMOTED or REJECTED from a candidate's held-out metrics: enough held-out pairs, accuracy not below the
 * bar (the best promoted checkpoint's accuracy on the same held-out pairs, see {@link CheckpointPublisher}) minus a
 * tolerance (or a minimum when nothing was promoted yet), and KL from the initial policy under a bound.
 */
public final class PromotionGate {

    private final GateConfig config;

    public PromotionGate(GateConfig config) {
        this.config = config;
    }

    /** The thresholds. */
    public GateConfig config() {
        return config;
    }

    /**
     * @param m           the candidate's metrics
     * @param barAccuracy held-out accuracy of the best promoted checkpoint on the same pairs, empty when none
     */
    public GateDecision decide(CandidateMetrics m, OptionalDouble barAccuracy) {
        return decide(m, barAccuracy, null);
    }

    /**
     * Decides, with a reason that shows every number compared and names each estimate: the held-out pair
     * accuracy (share of held-out pairs whose chosen answer the candidate's implicit DPO reward prefers), the bar
     * (the best promoted checkpoint, scored on the same held-out pairs as the candidate, which may differ from the
     * number it was promoted with since the held-out sample grows), and the gate's KL (sampled on held-out prompts:
     * a different sample, and so a different number, than any other KL a report may show).
     *
     * @param barVersion the best promoted checkpoint's version, for the reason; null when unknown
     */
    public GateDecision decide(CandidateMetrics m, OptionalDouble barAccuracy, String barVersion) {
        if (m.heldOutPairs() < config.minHeldOutPairs()) {
            return reject("only %d held-out pairs, the gate needs %d", m.heldOutPairs(), config.minHeldOutPairs());
        }
        if (Double.isNaN(m.accuracy())) {
            return reject("no held-out accuracy could be measured");
        }
        String kl = Double.isNaN(m.kl()) ? "gate KL not measured"
                : String.format(Locale.ROOT, "gate KL %.4f <= %.4f (sampled from the initial policy, %d answers)", m.kl(), config.maxKl(), m.klSamples());
        if (!Double.isNaN(m.kl()) && m.kl() > config.maxKl()) {
            return reject("gate KL %.4f (sampled from the initial policy, %d answers) exceeds the bound %.4f", m.kl(), m.klSamples(), config.maxKl());
        }
        String accuracy = String.format(Locale.ROOT, "held-out accuracy %.4f on %d pairs", m.accuracy(), m.heldOutPairs());
        if (barAccuracy.isPresent()) {
            double floor = barAccuracy.getAsDouble() - config.accuracyTolerance();
            String bar = String.format(Locale.ROOT, "best promoted%s %.4f on the same pairs - tolerance %.4f",
                    barVersion == null ? "" : " " + barVersion, barAccuracy.getAsDouble(), config.accuracyTolerance());
            if (m.accuracy() < floor) {
                return reject("%s < %.4f = %s", accuracy, floor, bar);
            }
            return promote("%s >= %.4f = %s; %s", accuracy, floor, bar, kl);
        }
        if (m.accuracy() < config.minAccuracy()) {
            return reject("%s < minimum %.4f (nothing promoted yet)", accuracy, config.minAccuracy());
        }
        return promote("first promotion: %s >= minimum %.4f; %s", accuracy, config.minAccuracy(), kl);
    }

    private static GateDecision reject(String fmt, Object... args) {
        return new GateDecision(CheckpointStatus.REJECTED, String.format(Locale.ROOT, fmt, args));
    }

    private static GateDecision promote(String fmt, Object... args) {
        return new GateDecision(CheckpointStatus.PROMOTED, String.format(Locale.ROOT, fmt, args));
    }
}
