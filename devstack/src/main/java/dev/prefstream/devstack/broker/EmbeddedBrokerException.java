package dev.prefstream.devstack.broker;

import dev.prefstream.schemas.error.FatalException;

/** The embedded broker could not be formatted, started or stopped. Fatal: the process cannot serve without it. */
public class EmbeddedBrokerException extends FatalException {
    public EmbeddedBrokerException(String message, Throwable cause) {
        super(message, cause);
    }

    public EmbeddedBrokerException(String message) {
        super(message);
    }
}
