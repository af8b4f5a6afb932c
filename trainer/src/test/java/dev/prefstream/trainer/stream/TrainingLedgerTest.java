package dev.prefstream.trainer.stream;

import dev.prefstream.checkpoint.format.CheckpointException;
import dev.prefstream.checkpoint.format.CheckpointLayout;
import dev.prefstream.checkpoint.format.CheckpointManifest;
import dev.prefstream.checkpoint.format.CheckpointWriter;
import dev.prefstream.checkpoint.format.PartitionOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The ledger's check is not vacuous: double training, out-of-range offsets and wrong totals are caught. */
class TrainingLedgerTest {

    @TempDir
    Path root;

    private void write(CheckpointWriter w, long step, String parent, long pairsTrained, long nextOffset, List<TrainingLogEntry> log) {
        CheckpointManifest draft = new CheckpointManifest(CheckpointManifest.FORMAT_VERSION, "m", CheckpointLayout.versionFor(step), parent, step, 0,
                "g0", pairsTrained, Instant.parse("2026-11-23T00:00:00Z"), Map.of(), List.of(new PartitionOffset("t", 0, nextOffset)), Map.of(), Map.of());
        w.write(draft, dir -> {
            Files.writeString(dir.resolve("model.safetensors"), "w" + step);
            TrainingLog.write(dir.resolve(CheckpointLayout.TRAINING_LOG), log);
        });
    }

    private static TrainingLogEntry e(long offset, long step) {
        return new TrainingLogEntry("p" + offset, "t", 0, offset, step);
    }

    @Test
    void acceptsAConsistentLineage() {
        CheckpointWriter w = new CheckpointWriter(root, 10);
        write(w, 1, null, 2, 2, List.of(e(0, 1), e(1, 1)));
        write(w, 2, "step-0000000001", 4, 5, List.of(e(2, 2), e(4, 2)));
        TrainingLedger ledger = TrainingLedger.of(root, "step-0000000002");
        assertThat(ledger.check()).isEqualTo(4);
        assertThat(ledger.entries()).extracting(TrainingLogEntry::offset).containsExactly(0L, 1L, 2L, 4L);
    }

    @Test
    void catchesAnOffsetTrainedTwice() {
        CheckpointWriter w = new CheckpointWriter(root, 10);
        write(w, 1, null, 2, 2, List.of(e(0, 1), e(1, 1)));
        write(w, 2, "step-0000000001", 4, 3, List.of(e(1, 2), e(2, 2)));
        assertThatThrownBy(() -> TrainingLedger.of(root, "step-0000000002").check())
                .isInstanceOf(CheckpointException.class).hasMessageContaining("t-0@1").hasMessageContaining("trained twice");
    }

    @Test
    void catchesOffsetsOutsideTheCheckpointsRangeAndWrongTotals() {
        CheckpointWriter w = new CheckpointWriter(root, 10);
        write(w, 1, null, 2, 2, List.of(e(0, 1), e(5, 1)));
        assertThatThrownBy(() -> TrainingLedger.of(root, "step-0000000001").check()).hasMessageContaining("outside its range [0, 2)");

        Path other = root.resolve("other");
        CheckpointWriter w2 = new CheckpointWriter(other, 10);
        write(w2, 1, null, 3, 2, List.of(e(0, 1), e(1, 1)));
        assertThatThrownBy(() -> TrainingLedger.of(other, "step-0000000001").check()).hasMessageContaining("pairs_trained=3");
    }
}
