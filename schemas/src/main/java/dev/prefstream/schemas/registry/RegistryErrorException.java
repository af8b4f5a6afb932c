package dev.prefstream.schemas.registry;

import dev.prefstream.schemas.error.FatalException;

/**
 * The registry answered a request with a client error (4xx). {@link #errorCode()} is Confluent's code from the
 * JSON body {@code {"error_code":..., "message":...}} (or the HTTP status when the body carried none).
 */
public class RegistryErrorException extends FatalException {

    /** Confluent: subject not found. */
    public static final int SUBJECT_NOT_FOUND = 40401;
    /** Confluent: version not found. */
    public static final int VERSION_NOT_FOUND = 40402;
    /** Confluent: schema (id) not found. */
    public static final int SCHEMA_NOT_FOUND = 40403;
    /** Confluent: schema incompatible with an earlier version (HTTP 409, error code 409). */
    public static final int INCOMPATIBLE_SCHEMA = 409;
    /** Confluent: invalid schema (HTTP 422). */
    public static final int INVALID_SCHEMA = 42201;

    private final String endpoint;
    private final int httpStatus;
    private final int errorCode;
    private final String registryMessage;

    public RegistryErrorException(String endpoint, int httpStatus, int errorCode, String registryMessage, String message) {
        super(message);
        this.endpoint = endpoint;
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
        this.registryMessage = registryMessage;
    }

    /** The registry URL that answered. */
    public String endpoint() {
        return endpoint;
    }

    /** The HTTP status (404, 409, 422, ...). */
    public int httpStatus() {
        return httpStatus;
    }

    /** Confluent's error code (40401, 40403, 409, 42201, ...). */
    public int errorCode() {
        return errorCode;
    }

    /** The registry's own message, verbatim. */
    public String registryMessage() {
        return registryMessage;
    }

    public boolean isSubjectNotFound() {
        return errorCode == SUBJECT_NOT_FOUND;
    }

    public boolean isSchemaNotFound() {
        return errorCode == SCHEMA_NOT_FOUND;
    }

    public boolean isIncompatible() {
        return errorCode == INCOMPATIBLE_SCHEMA || httpStatus == 409;
    }

    public boolean isInvalidSchema() {
        return errorCode == INVALID_SCHEMA || (httpStatus == 422 && errorCode == 422);
    }
}
