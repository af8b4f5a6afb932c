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
     * @param m                    the candidate's metrics
     * @param barAccuracy held-out accuracy of the best promoted checkpoint on the same pairs, empty when none
     */
    public GateDecision decide(CandidateMetrics m, OptionalDouble barAccuracy) {
        if (m.heldOutPairs() < config.minHeldOutPairs()) {
            return reject("only %d held-out pairs, the gate needs %d", m.heldOutPairs(), config.minHeldOutPairs());
        }
        if (Double.isNaN(m.accuracy())) {
            return reject("no held-out accuracy could be measured");
        }
        if (!Double.isNaN(m.kl()) && m.kl() > config.maxKl()) {
            return reject("KL from the initial policy %.4f exceeds the bound %.4f", m.kl(), config.maxKl());
        }
        if (barAccuracy.isPresent()) {
            double floor = barAccuracy.getAsDouble() - config.accuracyTolerance();
            if (m.accuracy() < floor) {
                return reject("held-out accuracy %.4f is below the best promoted %.4f minus tolerance %.4f",
                        m.accuracy(), barAccuracy.getAsDouble(), config.accuracyTolerance());
            }
            return promote("held-out accuracy %.4f >= %.4f (best promoted %.4f - %.4f), KL %.4f <= %.4f", m.accuracy(), floor,
                    barAccuracy.getAsDouble(), config.accuracyTolerance(), m.kl(), config.maxKl());
        }
        if (m.accuracy() < config.minAccuracy()) {
            return reject("held-out accuracy %.4f is below the minimum %.4f (nothing promoted yet)", m.accuracy(), config.minAccuracy());
        }
        return promote("first promotion: held-out accuracy %.4f >= %.4f, KL %.4f <= %.4f", m.accuracy(), config.minAccuracy(), m.kl(), config.maxKl());
    }

    private static GateDecision reject(String fmt, Object... args) {
        return new GateDecision(CheckpointStatus.REJECTED, String.format(Locale.ROOT, fmt, args));
    }

    private static GateDecision promote(String fmt, Object... args) {
        return new GateDecision(CheckpointStatus.PROMOTED, String.format(Locale.ROOT, fmt, args));
    }
}
