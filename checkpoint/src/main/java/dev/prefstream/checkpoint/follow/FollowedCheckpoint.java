package dev.prefstream.checkpoint.follow;

import dev.prefstream.checkpoint.format.VerifiedCheckpoint;
import dev.prefstream.checkpoint.lora.LoraCheckpointFiles;
import dev.prefstream.schemas.avro.ModelCheckpoint;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A promoted checkpoint that a {@link CheckpointFollower} fetched and verified: files only, so a serving process
 * that embeds the follower needs no DJL. Loading it as a DJL model is the publisher's {@code FollowedCheckpointLoader}
 * (or any Hugging Face / PEFT loader, e.g. transformers or vLLM, on {@link #path()}).
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

    /** Whether it is a PEFT LoRA adapter ({@link #path()} is then the adapter directory, {@link #baseDir()} its base). */
    public boolean isLora() {
        return LoraCheckpointFiles.isLora(checkpoint.dir());
    }

    /**
     * The base model directory a LoRA checkpoint's adapters apply to (verified by the follower before delivery),
     * or empty for a full model. A vLLM server started with {@code --enable-lora} on this base loads
     * {@link #path()} with {@code POST /v1/load_lora_adapter}.
     */
    public Optional<Path> baseDir() {
        return isLora() ? Optional.of(LoraCheckpointFiles.baseOf(checkpoint.dir()).dir()) : Optional.empty();
    }
}
