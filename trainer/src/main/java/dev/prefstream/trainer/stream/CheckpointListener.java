package dev.prefstream.trainer.stream;

import dev.prefstream.trainer.checkpoint.VerifiedCheckpoint;

/**
 * Told about every checkpoint right after it was written durably (and group offsets were committed). The publisher
 * hooks in here, either in process or by announcing the checkpoint on the candidates topic. A listener that throws
 * is logged; training goes on (the checkpoint stays on disk and can be published later).
 */
@FunctionalInterface
public interface CheckpointListener {

    /** Called on the trainer thread; long work here pauses training. */
    void onCheckpoint(VerifiedCheckpoint checkpoint);
}
