package dev.prefstream.publisher;

import ai.djl.Device;
import dev.prefstream.schemas.avro.ModelCheckpoint;
import dev.prefstream.trainer.checkpoint.VerifiedCheckpoint;
import dev.prefstream.trainer.lora.LoraCheckpoints;
import dev.prefstream.trainer.model.LoadedModel;

import java.nio.file.Path;
import java.util.Optional;

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

    /** Whether it is a PEFT LoRA adapter ({@link #path()} is then the adapter directory, {@link #baseDir()} its base). */
    public boolean isLora() {
        return LoraCheckpoints.isLora(checkpoint.dir());
    }

    /**
     * The base model directory a LoRA checkpoint's adapters apply to (verified by the follower before delivery),
     * or empty for a full model. A vLLM server started with {@code --enable-lora} on this base loads
     * {@link #path()} with {@code POST /v1/load_lora_adapter}.
     */
    public Optional<Path> baseDir() {
        return isLora() ? Optional.of(LoraCheckpoints.baseOf(checkpoint.dir()).dir()) : Optional.empty();
    }

    /** Loads the served model: base + adapters for LoRA, the HF directory otherwise (close it when swapped out). */
    public LoadedModel load(Device device) {
        return LoraCheckpoints.loadCheckpoint(checkpoint.dir(), device);
    }
}
