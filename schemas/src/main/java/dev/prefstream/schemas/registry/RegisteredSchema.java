package dev.prefstream.schemas.registry;

import java.util.Objects;
import org.apache.avro.Schema;

/** One version of a subject as the registry holds it: the subject, the global schema id, the version within the subject, the schema. */
public record RegisteredSchema(String subject, int id, int version, Schema schema) {
    public RegisteredSchema {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(schema, "schema");
    }
}
