package dev.prefstream.devstack.registry;

import java.util.List;

/**
 * One registered version of a subject, as stored in the {@code _schemas} topic.
 *
 * @param schema     the schema text as registered
 * @param schemaType always AVRO here (the only type this registry accepts)
 * @param deleted    soft-deleted: hidden from subject listings, its id still resolves
 */
record StoredVersion(String subject, int version, int id, String schema, String schemaType,
                     List<SchemaReference> references, boolean deleted) {

    StoredVersion {
        references = references == null ? List.of() : List.copyOf(references);
        schemaType = schemaType == null ? "AVRO" : schemaType;
    }

    StoredVersion asDeleted() {
        return new StoredVersion(subject, version, id, schema, schemaType, references, true);
    }
}
