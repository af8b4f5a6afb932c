package dev.prefstream.trainer.stream;

import dev.prefstream.checkpoint.format.VerifiedCheckpoint;

/**
 * Told about every checkpoint right after it was written durably (and group offsets were committed). The publisher
 * hooks in here, either in process or by announcing the checkpoint on the candidates topic. A listener that throws
 * is logged; training goes on (the checkpoint stays on disk and can be published later).
 */
@FunctionalInterface
public interface CheckpointListener {

    /** Called on the trainer thread; long work here pauses training. */
    void onCheckpoint(VerifiedCheckpoint checkpoint);

    /**
     * Called on the trainer thread when a leadership term starts from {@code checkpoint} (restart or takeover), before
     * any training. The process that wrote it may have died before {@link #onCheckpoint} finished, so a listener
     * that must not miss a checkpoint (the publisher) catches up here. Default: nothing.
     */
    default void onResume(VerifiedCheckpoint checkpoint) {
    }
}
