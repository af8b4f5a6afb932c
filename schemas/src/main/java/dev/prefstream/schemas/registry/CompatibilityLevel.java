package dev.prefstream.schemas.registry;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;

/**
 * Confluent's compatibility levels, checked with Avro's {@link SchemaCompatibility}, shared by the in-memory client
 * and the embedded registry server. BACKWARD (the default): a reader using the new schema reads data written with
 * the latest one; FORWARD: the old reads the new; FULL: both. The non-transitive levels compare with the latest
 * version only, the transitive ones with every version, as Confluent does.
 */
public enum CompatibilityLevel {
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

    /**
     * Parses a level name, case-insensitively (Confluent's REST API uses lower case).
     *
     * @throws IllegalArgumentException naming the valid values when the name is unknown or missing
     */
    public static CompatibilityLevel parse(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("Invalid compatibility level: missing");
        }
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid compatibility level: " + name
                    + ". Valid values are none, backward, forward, full, and their _transitive variants", e);
        }
    }

    /**
     * Why {@code candidate} may not follow {@code existing} (oldest first) under this level; empty when it may.
     * One message per incompatibility, in the shape Confluent's verbose compatibility check prints.
     */
    public List<String> violations(Schema candidate, List<Schema> existing) {
        List<String> problems = new ArrayList<>();
        if (existing.isEmpty() || this == NONE) {
            return problems;
        }
        List<Schema> against = transitive ? existing : List.of(existing.get(existing.size() - 1));
        for (Schema old : against) {
            if (newReadsOld) {
                describe(SchemaCompatibility.checkReaderWriterCompatibility(candidate, old), "new schema cannot read data written with an earlier one", problems);
            }
            if (oldReadsNew) {
                describe(SchemaCompatibility.checkReaderWriterCompatibility(old, candidate), "an earlier schema cannot read data written with the new one", problems);
            }
        }
        return problems;
    }

    private static void describe(SchemaPairCompatibility result, String direction, List<String> problems) {
        if (result.getType() == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            return;
        }
        for (Incompatibility incompatibility : result.getResult().getIncompatibilities()) {
            problems.add("{errorType:'" + incompatibility.getType() + "', description:'" + direction + ": "
                    + incompatibility.getMessage() + "', location:'" + incompatibility.getLocation() + "'}");
        }
    }
}
