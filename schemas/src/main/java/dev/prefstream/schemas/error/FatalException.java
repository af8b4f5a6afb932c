package dev.prefstream.schemas.error;

/** A failure caused by the input or the configuration: trying again repeats it, so it must be reported, not retried. */
public class FatalException extends PrefstreamException {

    public FatalException(String message) {
        super(message);
    }

    public FatalException(String message, Throwable cause) {
        super(message, cause);
    }

    /** See {@link PrefstreamException#PrefstreamException(String, Throwable, boolean)}. */
    protected FatalException(String message, Throwable cause, boolean writableStackTrace) {
        super(message, cause, writableStackTrace);
    }

    @Override
    public final boolean retriable() {
        return false;
    }
}
