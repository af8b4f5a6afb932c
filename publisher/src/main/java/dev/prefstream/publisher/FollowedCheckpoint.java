package dev.prefstream.publisher;

import dev.prefstream.schemas.avro.ModelCheckpoint;
import dev.prefstream.trainer.checkpoint.VerifiedCheckpoint;

import java.nio.file.Path;

/**
 * A promoted checkpoint that a {@link CheckpointFollower} fetched and verified.
 *
 * @param record     its registry record
 * @param checkpoint the verified local copy
 */
public record FollowedCheckpoint(ModelCheckpoint record, VerifiedCheckpoint checkpoint) {

    /** Local directory loadable with {@code HfModelLoader} (or transformers). */
    public Path path() {
        return checkpoint.dir();
    }

    /** The version. */
    public String version() {
        return record.getVersion();
    }
}
