package dev.prefstream.checkpoint.format;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Outcome of checking one checkpoint directory against its manifest.
 *
 * @param dir        the directory checked
 * @param checkpoint the verified checkpoint when every file matched, else null
 * @param badFile    the file that failed (relative path), null when the failure is not about one file
 * @param problem    what is wrong, null when ok
 */
public record CheckpointVerification(Path dir, VerifiedCheckpoint checkpoint, String badFile, String problem) {

    static CheckpointVerification ok(VerifiedCheckpoint cp) {
        return new CheckpointVerification(cp.dir(), cp, null, null);
    }

    static CheckpointVerification bad(Path dir, String badFile, String problem) {
        return new CheckpointVerification(dir, null, badFile, problem);
    }

    /** True when every file matched. */
    public boolean isGood() {
        return checkpoint != null;
    }

    /** The verified checkpoint, empty when refused. */
    public Optional<VerifiedCheckpoint> good() {
        return Optional.ofNullable(checkpoint);
    }

    /** The verified checkpoint, or a {@link CheckpointException} naming the directory, file and problem. */
    public VerifiedCheckpoint orThrow() {
        if (checkpoint == null) {
            throw new CheckpointException("checkpoint " + dir + " refused: " + (badFile == null ? "" : "file '" + badFile + "' ") + problem);
        }
        return checkpoint;
    }
}
