package dev.prefstream.devstack.registry;

import dev.prefstream.schemas.registry.CompatibilityLevel;

/**
 * A request the registry answers with a Confluent-style error body {@code {"error_code":..., "message":...}}.
 * The HTTP status is the first three digits of the error code, as in Confluent Schema Registry.
 */
final class RegistryError extends RuntimeException {

    static final int SUBJECT_NOT_FOUND = 40401;
    static final int VERSION_NOT_FOUND = 40402;
    static final int SCHEMA_NOT_FOUND = 40403;
    static final int SUBJECT_SOFT_DELETED = 40404;
    static final int SUBJECT_NOT_SOFT_DELETED = 40405;
    static final int VERSION_SOFT_DELETED = 40406;
    static final int VERSION_NOT_SOFT_DELETED = 40407;
    static final int SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED = 40408;
    static final int SUBJECT_LEVEL_MODE_NOT_CONFIGURED = 40409;
    static final int METHOD_NOT_ALLOWED = 405;
    static final int INCOMPATIBLE_SCHEMA = 409;
    static final int UNSUPPORTED_MEDIA_TYPE = 415;
    /** A body that is JSON but not the expected shape (Confluent's JsonMappingException answer). */
    static final int UNPROCESSABLE_ENTITY = 422;
    static final int INVALID_SCHEMA = 42201;
    static final int INVALID_VERSION = 42202;
    static final int INVALID_COMPATIBILITY_LEVEL = 42203;
    static final int INVALID_MODE = 42204;
    static final int OPERATION_NOT_PERMITTED = 42205;
    static final int REFERENCE_EXISTS = 42206;
    static final int STORE_ERROR = 50001;

    private final int errorCode;

    RegistryError(int errorCode, String message) {
        super(message);
        this.errorCode = errorCode;
    }

    RegistryError(int errorCode, String message, Throwable cause) {
        super(message, cause);
        this.errorCode = errorCode;
    }

    int errorCode() {
        return errorCode;
    }

    int httpStatus() {
        return errorCode < 1000 ? errorCode : errorCode / 100;
    }

    static RegistryError subjectNotFound(String subject) {
        return new RegistryError(SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
    }

    static RegistryError versionNotFound(String subject, Object version) {
        return new RegistryError(VERSION_NOT_FOUND, "Version " + version + " not found for subject '" + subject + "'.");
    }

    static RegistryError schemaNotFound(int id) {
        return new RegistryError(SCHEMA_NOT_FOUND, "Schema " + id + " not found");
    }

    /** Parses a compatibility level from a request; 42203 when it is not one. */
    static CompatibilityLevel parseLevel(String level) {
        try {
            return CompatibilityLevel.parse(level);
        } catch (IllegalArgumentException e) {
            throw new RegistryError(INVALID_COMPATIBILITY_LEVEL, e.getMessage(), e);
        }
    }
}
