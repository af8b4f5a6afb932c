package dev.prefstream.trainer.model;

import dev.prefstream.schemas.error.FatalException;

/**
 * A model directory, config or weight file that cannot be used as is (unknown {@code model_type}, missing tensor,
 * wrong shape, corrupt safetensors header). Fatal: loading the same files again fails the same way, so the
 * message always names the file and the offending key or tensor.
 */
public class ModelFormatException extends FatalException {

    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
