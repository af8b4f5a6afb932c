package dev.prefstream.trainer.dpo;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** A step's metrics: typed from the metrics vector, and the names the manifest and the registry have always carried. */
class StepMetricsTest {

    @Test
    void theHostVectorIsReadByPositionIntoTheRecord() {
        float[] host = {0.69f, 0.2f, -0.1f, 0.75f, 0.3f, -40f, -45f, 1.5f, 1f /* scaler flag, not a metric */};
        StepMetrics m = StepMetrics.of(3, host, 1e-3, 400, 8, 1, false, 200.0);
        assertThat(m.step()).isEqualTo(3);
        assertThat(m.loss()).isCloseTo(0.69, within(1e-6));
        assertThat(m.rewardsChosen()).isCloseTo(0.2, within(1e-6));
        assertThat(m.rewardsRejected()).isCloseTo(-0.1, within(1e-6));
        assertThat(m.rewardsAccuracies()).isEqualTo(0.75);
        assertThat(m.rewardsMargins()).isCloseTo(0.3, within(1e-6));
        assertThat(m.logpsChosen()).isEqualTo(-40.0);
        assertThat(m.logpsRejected()).isEqualTo(-45.0);
        assertThat(m.gradNorm()).isEqualTo(1.5);
        assertThat(m.tokensPerS()).isEqualTo(2000.0);
        assertThat(RewardMetrics.NAMES).containsExactly("loss", "rewards/chosen", "rewards/rejected", "rewards/accuracies",
                "rewards/margins", "logps/chosen", "logps/rejected");
    }

    @Test
    void theEdgeMapKeepsItsNamesAndValues() {
        StepMetrics m = new StepMetrics(3, 0.61, 0.2, -0.1, 0.75, 0.3, -40, -45, 1.5, 1e-3, 2000, 400, 8, 1, true, 200);
        assertThat(m.toMap()).containsExactly(
                java.util.Map.entry("loss", 0.61), java.util.Map.entry("rewards/chosen", 0.2),
                java.util.Map.entry("rewards/rejected", -0.1), java.util.Map.entry("rewards/accuracies", 0.75),
                java.util.Map.entry("rewards/margins", 0.3), java.util.Map.entry("logps/chosen", -40.0),
                java.util.Map.entry("logps/rejected", -45.0), java.util.Map.entry("grad_norm", 1.5),
                java.util.Map.entry("learning_rate", 1e-3), java.util.Map.entry("tokens_per_s", 2000.0),
                java.util.Map.entry("tokens", 400.0), java.util.Map.entry("pairs", 8.0),
                java.util.Map.entry("truncated_pairs", 1.0), java.util.Map.entry("truncated", 1.0),
                java.util.Map.entry("skipped", 1.0));
    }
}
