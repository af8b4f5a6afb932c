package dev.prefstream.checkpoint.format;

import java.io.IOException;
import java.nio.file.Path;

/** Writes a checkpoint's files (weights, tokenizer, trainer state, training log) into a fresh directory. */
@FunctionalInterface
public interface CheckpointContent {

    /** Writes every file of the checkpoint below {@code dir}; must not write {@code manifest.json}. */
    void writeTo(Path dir) throws IOException;
}
