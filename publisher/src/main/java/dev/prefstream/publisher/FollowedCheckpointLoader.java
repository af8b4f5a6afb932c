package dev.prefstream.publisher;

import ai.djl.Device;
import dev.prefstream.checkpoint.follow.FollowedCheckpoint;
import dev.prefstream.trainer.lora.LoraCheckpoints;
import dev.prefstream.trainer.model.LoadedModel;

/**
 * Loads a {@link FollowedCheckpoint} as a DJL model, for Java serving that runs the trainer's model. Kept out of the
 * checkpoint module so that following checkpoints costs no DJL/libtorch (about 260 MB); a server that loads the
 * files with another runtime never needs this class.
 */
public final class FollowedCheckpointLoader {

    private FollowedCheckpointLoader() {
    }

    /** Loads the served model: base + adapters for LoRA, the HF directory otherwise (close it when swapped out). */
    public static LoadedModel load(FollowedCheckpoint checkpoint, Device device) {
        return LoraCheckpoints.loadCheckpoint(checkpoint.path(), device);
    }
}
