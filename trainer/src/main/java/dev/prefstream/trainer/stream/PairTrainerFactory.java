package dev.prefstream.trainer.stream;

import dev.prefstream.checkpoint.format.VerifiedCheckpoint;

import java.util.Optional;

/** Opens a trainer at the initial model, or restored exactly from a verified checkpoint. */
@FunctionalInterface
public interface PairTrainerFactory {

    /** A trainer continuing from {@code from}, or starting from the initial model when empty. */
    PairTrainer open(Optional<VerifiedCheckpoint> from);
}
