package dev.prefstream.trainer.optim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** GradScaler policy: back off and skip on overflow, grow after an interval of good steps. */
class DynamicLossScalerTest {

    @Test
    void backsOffSkipsAndGrows() {
        DynamicLossScaler s = new DynamicLossScaler(1024, 2, 0.5, 3);
        assertThat(s.update(true)).isFalse();
        assertThat(s.scale()).isEqualTo(512);
        assertThat(s.skippedSteps()).isEqualTo(1);
        assertThat(s.update(false)).isTrue();
        assertThat(s.update(false)).isTrue();
        assertThat(s.scale()).isEqualTo(512);
        assertThat(s.update(false)).isTrue();
        assertThat(s.scale()).isEqualTo(1024);
        assertThat(s.goodSteps()).isZero();
        // an overflow resets the good-step count
        s.update(false);
        s.update(false);
        s.update(true);
        assertThat(s.scale()).isEqualTo(512);
        assertThat(s.goodSteps()).isZero();
        assertThat(s.inverseScale()).isEqualTo(1.0 / 512);
    }
}
