package dev.prefstream.schemas.registry;

import dev.prefstream.schemas.error.RetriableException;

/** The registry could not be reached, timed out, or answered 5xx: retriable. The message names the URL(s) tried. */
public class RegistryUnavailableException extends RetriableException {

    private final String endpoint;

    public RegistryUnavailableException(String endpoint, String message, Throwable cause) {
        super(message, cause);
        this.endpoint = endpoint;
    }

    /** The URL (or URL list) that failed. */
    public String endpoint() {
        return endpoint;
    }
}
