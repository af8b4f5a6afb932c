package dev.prefstream.checkpoint.format;

import dev.prefstream.schemas.error.FatalException;

/** A checkpoint could not be written, read or verified; the message names the directory and file. */
public class CheckpointException extends FatalException {

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
