package dev.prefstream.schemas.embedded;

/** The embedded broker could not be formatted, started or stopped. Fatal: the process cannot serve without it. */
public class EmbeddedBrokerException extends RuntimeException {
    public EmbeddedBrokerException(String message, Throwable cause) {
        super(message, cause);
    }

    public EmbeddedBrokerException(String message) {
        super(message);
    }
}
