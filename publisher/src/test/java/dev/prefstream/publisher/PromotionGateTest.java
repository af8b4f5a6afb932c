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
        assertThat(low.reason()).contains("0.5000").contains("< minimum 0.5500");
    }

    @Test
    void laterCandidatesMayNotFallBelowTheBestPromotedMinusTolerance() {
        assertThat(gate.decide(m(20, 0.79, 0.5), OptionalDouble.of(0.80)).status()).isEqualTo(CheckpointStatus.PROMOTED);
        GateDecision worse = gate.decide(m(20, 0.77, 0.5), OptionalDouble.of(0.80));
        assertThat(worse.status()).isEqualTo(CheckpointStatus.REJECTED);
        assertThat(worse.reason()).isEqualTo("held-out accuracy 0.7700 on 20 pairs < 0.7800 = best promoted 0.8000 on the same pairs - tolerance 0.0200");
    }

    @Test
    void theReasonNamesEveryNumberTheGateCompared() {
        // "KL 0.4277" next to a table KL of 1.615, and "best promoted 0.7600" next to a table held-out of 0.958,
        // could not be followed: the reason now says which estimate each number is and which checkpoint is the bar
        GateDecision later = gate.decide(m(48, 0.8430, 0.4277), OptionalDouble.of(0.76), "step-0000000020");
        assertThat(later.status()).isEqualTo(CheckpointStatus.PROMOTED);
        assertThat(later.reason()).isEqualTo("held-out accuracy 0.8430 on 48 pairs >= 0.7400 = best promoted step-0000000020 0.7600 "
                + "on the same pairs - tolerance 0.0200; gate KL 0.4277 <= 2.0000 (sampled from the initial policy, 16 answers)");
        GateDecision first = gate.decide(m(48, 0.9580, 0.4277), OptionalDouble.empty(), null);
        assertThat(first.reason()).isEqualTo("first promotion: held-out accuracy 0.9580 on 48 pairs >= minimum 0.5500; "
                + "gate KL 0.4277 <= 2.0000 (sampled from the initial policy, 16 answers)");
    }

    @Test
    void klBoundAndTooFewPairsReject() {
        GateDecision drift = gate.decide(m(20, 0.95, 2.5), OptionalDouble.of(0.6));
        assertThat(drift.status()).isEqualTo(CheckpointStatus.REJECTED);
        assertThat(drift.reason()).isEqualTo("gate KL 2.5000 (sampled from the initial policy, 16 answers) exceeds the bound 2.0000");
        assertThat(gate.decide(m(5, 0.95, 0.1), OptionalDouble.empty()).reason()).contains("only 5 held-out pairs");
        assertThat(gate.decide(m(20, 0.95, Double.NaN), OptionalDouble.empty()).status()).isEqualTo(CheckpointStatus.PROMOTED);
    }
}
