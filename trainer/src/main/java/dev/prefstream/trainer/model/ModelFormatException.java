package dev.prefstream.trainer.model;

/**
 * A model directory, config or weight file that cannot be used as is (unknown {@code model_type}, missing tensor,
 * wrong shape, corrupt safetensors header). Fatal: loading the same files again fails the same way, so the
 * message always names the file and the offending key or tensor.
 */
public class ModelFormatException extends RuntimeException {

    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Always false: the files have to change before a retry can succeed. */
    public boolean retriable() {
        return false;
    }
}
