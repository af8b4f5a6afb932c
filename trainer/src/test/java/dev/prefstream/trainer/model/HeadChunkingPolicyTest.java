package dev.prefstream.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How a training step chunks its log-probs: when it recomputes the LM head in backward instead of keeping it, and how
 * many positions a chunk holds.
 */
class HeadChunkingPolicyTest {

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

    /**
     * With a trainable head every chunk adds a head-sized weight gradient, so chunks hold at least twice the head's
     * elements (its size with checkpointing); a frozen head (LoRA's base) keeps 64 MiB chunks.
     */
    @Test
    void chunksOfATrainableHeadHoldAtLeastTwiceItsWeight() {
        ModelConfig config = ModelConfig.llama(32_000, 1024, 1, 16, 16, 64, 128, true, 2);
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
             DecoderModel model = ModelPresets.initialize(config, m.newSubManager(), 1)) {
            long head = 32_000L * 1024;   // 32.8 M elements, twice a 64 MiB chunk
            model.setTrainable(true);
            assertThat(model.trainableHeadElements()).isEqualTo(head);
            assertThat(SequenceLogProbs.trainingChunkPositions(8, model, false)).isEqualTo((int) (2 * head / (8 * 32_000)));   // 256
            assertThat(SequenceLogProbs.trainingChunkPositions(8, model, true)).isEqualTo((int) (head / (8 * 32_000)));       // 128
            model.setTrainable(false);
            assertThat(model.trainableHeadElements()).isZero();
            assertThat(SequenceLogProbs.trainingChunkPositions(8, model, false))
                    .isEqualTo(SequenceLogProbs.chunkPositions(8, 32_000)).isEqualTo(65);
        }
    }
}
