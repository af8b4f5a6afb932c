package dev.prefstream.trainer.model;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** When a training step without checkpointing recomputes the LM head in backward instead of keeping it. */
class RecomputedHeadPolicyTest {

    @Test
    void smallRealShapesKeepTheirHeadAndLargeOnesRecomputeIt() {
        // llama-58m at 4 pairs x 256: 8 x 255 x 32,000 = 65 M floats (261 MB) kept; recomputing would cost a head matmul
        assertThat(RecomputedHead.paysOff(8, 256, 32_000)).isFalse();
        // Qwen2.5-0.5B at 2 pairs x 256: 620 MB kept, still below 1 GiB
        assertThat(RecomputedHead.paysOff(4, 256, 151_936)).isFalse();
        // Qwen2.5-0.5B at 8 pairs x 512: 16 x 511 x 151,936 floats = 5 GB, recomputed
        assertThat(RecomputedHead.paysOff(16, 512, 151_936)).isTrue();
        // the boundary: exactly 2^28 elements are kept, one row more is recomputed
        assertThat(RecomputedHead.paysOff(1, (1L << 20) + 1, 256)).isFalse();
        assertThat(RecomputedHead.paysOff(2, (1L << 20) + 1, 256)).isTrue();
        assertThat(RecomputedHead.paysOff(16, 1, 151_936)).isFalse();   // a single token predicts nothing
    }
}
