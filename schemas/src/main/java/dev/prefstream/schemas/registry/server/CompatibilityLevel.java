package dev.prefstream.schemas.registry.server;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Confluent's compatibility levels, checked with Avro's {@link SchemaCompatibility}. BACKWARD: the new schema
 * reads data written with the old; FORWARD: the old reads the new; FULL: both. Transitive levels check every
 * previous version, the others only the latest.
 */
enum CompatibilityLevel {
    NONE(false, false, false),
    BACKWARD(true, false, false),
    BACKWARD_TRANSITIVE(true, false, true),
    FORWARD(false, true, false),
    FORWARD_TRANSITIVE(false, true, true),
    FULL(true, true, false),
    FULL_TRANSITIVE(true, true, true);

    private final boolean newReadsOld;
    private final boolean oldReadsNew;
    private final boolean transitive;

    CompatibilityLevel(boolean newReadsOld, boolean oldReadsNew, boolean transitive) {
        this.newReadsOld = newReadsOld;
        this.oldReadsNew = oldReadsNew;
        this.transitive = transitive;
    }

    /** Parses a level name (case-insensitive); 42203 when unknown. */
    static CompatibilityLevel parse(String name) {
        if (name == null) {
            throw new RegistryError(RegistryError.INVALID_COMPATIBILITY_LEVEL, "Invalid compatibility level: missing");
        }
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new RegistryError(RegistryError.INVALID_COMPATIBILITY_LEVEL, "Invalid compatibility level: " + name
                    + ". Valid values are none, backward, forward, full, and their _transitive variants");
        }
    }

    /**
     * Checks {@code candidate} against the previous versions, oldest first.
     *
     * @return one message per incompatibility; empty when compatible
     */
    List<String> check(Schema candidate, List<Schema> previousOldestFirst) {
        if (this == NONE || previousOldestFirst.isEmpty()) {
            return List.of();
        }
        List<Schema> against = transitive ? previousOldestFirst : List.of(previousOldestFirst.get(previousOldestFirst.size() - 1));
        List<String> messages = new ArrayList<>();
        for (Schema previous : against) {
            if (newReadsOld) {
                describe(SchemaCompatibility.checkReaderWriterCompatibility(candidate, previous), "new schema cannot read data written with an earlier one", messages);
            }
            if (oldReadsNew) {
                describe(SchemaCompatibility.checkReaderWriterCompatibility(previous, candidate), "an earlier schema cannot read data written with the new one", messages);
            }
        }
        return messages;
    }

    private static void describe(SchemaCompatibility.SchemaPairCompatibility result, String direction, List<String> messages) {
        if (result.getType() == SchemaCompatibilityType.COMPATIBLE) {
            return;
        }
        for (Incompatibility incompatibility : result.getResult().getIncompatibilities()) {
            messages.add("{errorType:'" + incompatibility.getType() + "', description:'" + direction + ": "
                    + incompatibility.getMessage() + "', location:'" + incompatibility.getLocation() + "'}");
        }
    }
}
