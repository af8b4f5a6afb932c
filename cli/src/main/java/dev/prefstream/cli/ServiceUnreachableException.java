package dev.prefstream.cli;

import dev.prefstream.schemas.error.RetriableException;

/**
 * Kafka or the schema registry did not answer at the configured address within the reachability check's short
 * timeout. Its message is the one line a user sees (exit {@link ExitCodes#UNAVAILABLE}): the address, and how to get
 * a broker there.
 */
final class ServiceUnreachableException extends RetriableException {

    ServiceUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
