package dev.prefstream.trainer.stream;

import dev.prefstream.checkpoint.format.CheckpointReader;
import dev.prefstream.checkpoint.format.VerifiedCheckpoint;

import java.nio.file.Path;
import java.util.Optional;

/**
 * What a (re)starting trainer continues from: model state and input positions.
 *
 * @param checkpoint the checkpoint to restore, empty for the initial model
 * @param positions  where to start reading
 */
public record ResumePoint(Optional<VerifiedCheckpoint> checkpoint, StartPositions positions) {

    /** The live trainer's rule: newest good checkpoint under {@code root} and its manifest offsets. */
    public static ResumePoint newestIn(Path root, boolean fromEarliest) {
        return new ResumePoint(CheckpointReader.newestGood(root), StartPositions.fromCheckpoint(fromEarliest));
    }
}
