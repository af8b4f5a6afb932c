package dev.prefstream.trainer.optim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Schedules with transformers' get_*_schedule_with_warmup semantics. */
class LrScheduleTest {

    @Test
    void warmupThenCosine() {
        LrSchedule s = new LrSchedule(LrSchedule.Kind.COSINE, 1e-3, 10, 110);
        assertThat(s.lrAt(0)).isEqualTo(0.0);
        assertThat(s.lrAt(5)).isCloseTo(5e-4, within(1e-12));
        assertThat(s.lrAt(10)).isCloseTo(1e-3, within(1e-12));
        assertThat(s.lrAt(60)).isCloseTo(5e-4, within(1e-12));
        assertThat(s.lrAt(110)).isCloseTo(0.0, within(1e-12));
        assertThat(s.lrAt(500)).isEqualTo(0.0);
    }

    @Test
    void warmupThenLinearAndConstant() {
        LrSchedule lin = new LrSchedule(LrSchedule.Kind.LINEAR, 2e-3, 4, 104);
        assertThat(lin.lrAt(2)).isCloseTo(1e-3, within(1e-12));
        assertThat(lin.lrAt(54)).isCloseTo(1e-3, within(1e-12));
        assertThat(lin.lrAt(104)).isEqualTo(0.0);
        LrSchedule c = new LrSchedule(LrSchedule.Kind.CONSTANT, 1e-4, 2, 0);
        assertThat(c.lrAt(1)).isCloseTo(5e-5, within(1e-15));
        assertThat(c.lrAt(1000)).isEqualTo(1e-4);
        assertThat(LrSchedule.constant(3e-4).lrAt(0)).isEqualTo(3e-4);
    }

    @Test
    void rejectsInvalid() {
        assertThatThrownBy(() -> new LrSchedule(LrSchedule.Kind.COSINE, 1e-3, 10, 10)).hasMessageContaining("totalSteps");
        assertThatThrownBy(() -> LrSchedule.Kind.parse("step")).hasMessageContaining("unknown lr schedule");
    }
}
