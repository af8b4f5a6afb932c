package dev.prefstream.schemas.error;

/**
 * Root of prefstream's own unchecked exceptions. Every failure says whether trying again can help:
 * {@link RetriableException} (a dependency is down or busy; the same call may succeed later) or
 * {@link FatalException} (the input or the configuration is wrong; retrying repeats the failure).
 *
 * <p>Exceptions that Kafka itself must recognise (for example serde failures, which Kafka Streams hands to its
 * {@code DeserializationExceptionHandler} only when they are Kafka exceptions) extend Kafka's types instead
 * and carry a {@code retriable()} flag with the same meaning.
 */
public abstract class PrefstreamException extends RuntimeException {

    protected PrefstreamException(String message) {
        super(message);
    }

    protected PrefstreamException(String message, Throwable cause) {
        super(message, cause);
    }

    /** For expected, high-volume outcomes (a rejected record): without a stack trace, which would be wasted work. */
    protected PrefstreamException(String message, Throwable cause, boolean writableStackTrace) {
        super(message, cause, true, writableStackTrace);
    }

    /** True when the same operation may succeed if tried again later. */
    public abstract boolean retriable();
}
