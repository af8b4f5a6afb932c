package dev.prefstream.publisher;

import dev.prefstream.schemas.avro.CheckpointStatus;
import org.junit.jupiter.api.Test;

import java.util.OptionalDouble;

import static org.assertj.core.api.Assertions.assertThat;

class PromotionGateTest {

    private final PromotionGate gate = new PromotionGate(new GateConfig(0.55, 0.02, 2.0, 8));

    private static CandidateMetrics m(int n, double acc, double kl) {
        return new CandidateMetrics(n, acc, 0.1, 0.05, -0.05, kl, 16);
    }

    @Test
    void firstPromotionNeedsTheMinimumAccuracy() {
        assertThat(gate.decide(m(20, 0.60, 0.5), OptionalDouble.empty()).status()).isEqualTo(CheckpointStatus.PROMOTED);
        GateDecision low = gate.decide(m(20, 0.50, 0.5), OptionalDouble.empty());
        assertThat(low.status()).isEqualTo(CheckpointStatus.REJECTED);
        assertThat(low.reason()).contains("0.5000").contains("minimum 0.5500");
    }

    @Test
    void laterCandidatesMayNotFallBelowTheBestPromotedMinusTolerance() {
        assertThat(gate.decide(m(20, 0.79, 0.5), OptionalDouble.of(0.80)).status()).isEqualTo(CheckpointStatus.PROMOTED);
        GateDecision worse = gate.decide(m(20, 0.77, 0.5), OptionalDouble.of(0.80));
        assertThat(worse.status()).isEqualTo(CheckpointStatus.REJECTED);
        assertThat(worse.reason()).contains("below the best promoted 0.8000 minus tolerance 0.0200");
    }

    @Test
    void klBoundAndTooFewPairsReject() {
        GateDecision drift = gate.decide(m(20, 0.95, 2.5), OptionalDouble.of(0.6));
        assertThat(drift.status()).isEqualTo(CheckpointStatus.REJECTED);
        assertThat(drift.reason()).contains("KL").contains("2.5000").contains("2.0000");
        assertThat(gate.decide(m(5, 0.95, 0.1), OptionalDouble.empty()).reason()).contains("only 5 held-out pairs");
        assertThat(gate.decide(m(20, 0.95, Double.NaN), OptionalDouble.empty()).status()).isEqualTo(CheckpointStatus.PROMOTED);
    }
}
