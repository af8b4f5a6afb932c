package dev.prefstream.schemas.serde;

import dev.prefstream.schemas.registry.RegistryErrorException;
import dev.prefstream.schemas.registry.RegistryUnavailableException;

/** Turns registry client failures into {@link SerdeException}s that name the topic, subject and id. */
final class RegistryFailures {

    private RegistryFailures() {
    }

    static SerdeException unavailable(RegistryUnavailableException e, String topic, String subject, Integer id, String action) {
        return new SerdeException(SerdeException.Reason.REGISTRY_UNREACHABLE, topic, subject, id,
                "topic " + topic + describe(subject, id) + ": schema registry " + e.endpoint() + " unreachable while trying to " + action
                        + " (retriable): " + e.getMessage(), e);
    }

    static SerdeException refused(RegistryErrorException e, String topic, String subject, Integer id, String action) {
        SerdeException.Reason reason;
        String what;
        if (e.isIncompatible()) {
            reason = SerdeException.Reason.INCOMPATIBLE_SCHEMA;
            what = "schema rejected as incompatible with subject " + subject + " (409)";
        } else if (e.isInvalidSchema()) {
            reason = SerdeException.Reason.INVALID_SCHEMA;
            what = "schema rejected as invalid (42201)";
        } else if (e.isSchemaNotFound() && id != null) {
            reason = SerdeException.Reason.UNKNOWN_SCHEMA_ID;
            what = "schema id " + id + " not found in the registry (40403)";
        } else if (e.isSubjectNotFound() || e.isSchemaNotFound()) {
            reason = SerdeException.Reason.SCHEMA_NOT_REGISTERED;
            what = (e.isSubjectNotFound() ? "subject " + subject + " does not exist (40401)" : "schema is not registered under subject " + subject + " (40403)")
                    + " and auto.register.schemas is off or use.latest.version is on";
        } else {
            reason = SerdeException.Reason.REGISTRY_ERROR;
            what = "registry refused the request (HTTP " + e.httpStatus() + ", error_code " + e.errorCode() + ")";
        }
        return new SerdeException(reason, topic, subject, id,
                "topic " + topic + describe(subject, id) + ": " + what + " while trying to " + action + " at " + e.endpoint()
                        + "; registry said: " + e.registryMessage(), e);
    }

    static String describe(String subject, Integer id) {
        StringBuilder sb = new StringBuilder();
        if (subject != null) {
            sb.append(", subject ").append(subject);
        }
        if (id != null) {
            sb.append(", schema id ").append(id);
        }
        return sb.toString();
    }
}
