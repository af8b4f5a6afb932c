package dev.prefstream.schemas.serde;

import java.util.Optional;
import org.apache.kafka.common.errors.SerializationException;

/**
 * A record could not be serialized or deserialized. Extends Kafka's {@link SerializationException} so that
 * producers, consumers and Kafka Streams' {@code DeserializationExceptionHandler} treat it as a serde failure.
 * {@link #reason()} is a stable code for dead-letter headers and metrics; {@link #retriable()} says whether the same
 * bytes may succeed later (only when the registry could not be reached). The message names the topic, and the
 * subject and schema id where they are known.
 */
public class SerdeException extends SerializationException {

    /** Why a record failed. */
    public enum Reason {
        /** The bytes do not start with magic byte 0 and a 4-byte schema id (or are shorter than that). */
        NOT_WIRE_FORMAT(false),
        /** The registry has no schema with the id in the record's header (40403). */
        UNKNOWN_SCHEMA_ID(false),
        /** The registry could not be reached, timed out or answered 5xx. The only retriable reason. */
        REGISTRY_UNREACHABLE(true),
        /** The registry refused the schema as incompatible with the subject's earlier versions (409). */
        INCOMPATIBLE_SCHEMA(false),
        /** The registry refused the schema as invalid (42201). */
        INVALID_SCHEMA(false),
        /** Auto-registration is off (or use.latest.version is on) and the subject or schema is not registered (40401/40403). */
        SCHEMA_NOT_REGISTERED(false),
        /** Any other refusal by the registry (401/403 auth, 422 with other codes, ...). */
        REGISTRY_ERROR(false),
        /** The writer's schema cannot be resolved to the reader's (e.g. a field the reader needs has no default). */
        SCHEMA_MISMATCH(false),
        /** The Avro body does not decode under the writer's schema (truncated or corrupt). */
        MALFORMED_AVRO(false),
        /**
         * Decoding exhausted the stack or memory: a record nested too deeply under a recursive writer schema, or a
         * size too large to allocate. Never thrown as the {@link Error} itself, which no handler would catch.
         */
        UNDESERIALIZABLE(false),
        /** No Java class for the record (specific reader) or the record is not of the configured type. */
        UNKNOWN_TYPE(false),
        /** The value given to the serializer is not an Avro record or does not encode (e.g. null in a non-null field). */
        UNSERIALIZABLE_VALUE(false);

        private final boolean retriable;

        Reason(boolean retriable) {
            this.retriable = retriable;
        }

        /** Whether failures of this kind may succeed when retried. */
        public boolean retriable() {
            return retriable;
        }
    }

    private final Reason reason;
    private final String topic;
    private final String subject;
    private final Integer schemaId;

    public SerdeException(Reason reason, String topic, String subject, Integer schemaId, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.topic = topic;
        this.subject = subject;
        this.schemaId = schemaId;
    }

    /** The stable failure code. */
    public Reason reason() {
        return reason;
    }

    /** True only when the registry could not be reached: the same bytes may deserialize later. */
    public boolean retriable() {
        return reason.retriable();
    }

    /** The topic of the record. */
    public String topic() {
        return topic;
    }

    /** The registry subject, where known. */
    public Optional<String> subject() {
        return Optional.ofNullable(subject);
    }

    /** The schema id, where known. */
    public Optional<Integer> schemaId() {
        return Optional.ofNullable(schemaId);
    }
}
