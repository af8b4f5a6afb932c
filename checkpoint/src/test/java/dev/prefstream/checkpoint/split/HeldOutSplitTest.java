package dev.prefstream.checkpoint.split;

import org.junit.jupiter.api.Test;

import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HeldOutSplitTest {

    @Test
    void holdsOutAboutTheConfiguredShareDeterministically() {
        HeldOutSplit split = new HeldOutSplit(0.02, HeldOutSplit.DEFAULT_SALT);
        long held = IntStream.range(0, 50_000).filter(i -> split.isHeldOut("pair-" + i)).count();
        assertThat(held).isBetween(850L, 1150L); // 2% of 50k = 1000, binomial sd ~31
        HeldOutSplit again = new HeldOutSplit(0.02, HeldOutSplit.DEFAULT_SALT);
        assertThat(IntStream.range(0, 2000).allMatch(i -> split.isHeldOut("pair-" + i) == again.isHeldOut("pair-" + i))).isTrue();
    }

    @Test
    void saltChangesTheSplitAndBoundsAreChecked() {
        HeldOutSplit a = new HeldOutSplit(0.1, "a");
        HeldOutSplit b = new HeldOutSplit(0.1, "b");
        long differ = IntStream.range(0, 5000).filter(i -> a.isHeldOut("x" + i) != b.isHeldOut("x" + i)).count();
        assertThat(differ).isGreaterThan(500);
        assertThat(new HeldOutSplit(0.0, "s").isHeldOut("anything")).isFalse();
        assertThatThrownBy(() -> new HeldOutSplit(0.7, "s")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[0, 0.5]");
    }
}
