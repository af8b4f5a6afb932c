package dev.prefstream.schemas.error;

/** A failure caused by something outside the input (a dependency down, a timeout): trying again may succeed. */
public class RetriableException extends PrefstreamException {

    public RetriableException(String message) {
        super(message);
    }

    public RetriableException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public final boolean retriable() {
        return true;
    }
}
