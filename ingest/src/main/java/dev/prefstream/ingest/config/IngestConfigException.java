package dev.prefstream.ingest.config;

import dev.prefstream.schemas.error.FatalException;

/** A configuration value is missing, malformed or out of range; the message names the key and the value. */
public class IngestConfigException extends FatalException {

    public IngestConfigException(String message) {
        super(message);
    }

    public IngestConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
