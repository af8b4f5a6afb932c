package dev.prefstream.schemas.registry.server;

import dev.prefstream.schemas.registry.CompatibilityLevel;
import org.apache.avro.Schema;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.SchemaParseException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The registry's in-memory view, rebuilt from the {@code _schemas} topic on start and updated after every
 * stored write. Not thread-safe: {@link RegistryService} serialises access.
 */
final class RegistryState {

    private final Map<String, TreeMap<Integer, StoredVersion>> subjects = new HashMap<>();
    private final Map<Integer, StoredVersion> byId = new HashMap<>();
    private final Map<String, Integer> idByIdentity = new HashMap<>();
    private final Map<String, CompatibilityLevel> subjectLevels = new HashMap<>();
    private CompatibilityLevel globalLevel;
    private final CompatibilityLevel defaultLevel;
    private int maxId;

    RegistryState(CompatibilityLevel defaultLevel) {
        this.defaultLevel = defaultLevel;
    }

    void apply(SchemaLog.Entry entry) {
        if (entry instanceof SchemaLog.VersionEntry v) {
            applyVersion(v.version());
        } else if (entry instanceof SchemaLog.ConfigEntry c) {
            applyConfig(c.subject(), c.level());
        }
    }

    void applyVersion(StoredVersion v) {
        subjects.computeIfAbsent(v.subject(), s -> new TreeMap<>()).put(v.version(), v);
        byId.putIfAbsent(v.id(), v);
        maxId = Math.max(maxId, v.id());
        try {
            idByIdentity.putIfAbsent(identity(parse(v.schema(), v.references()), v.references()), v.id());
        } catch (RegistryError | SchemaParseException e) {
            // an unparsable stored schema still resolves by id; it just cannot be matched by content
        }
    }

    void applyConfig(String subject, CompatibilityLevel level) {
        if (subject == null) {
            globalLevel = level;
        } else if (level == null) {
            subjectLevels.remove(subject);
        } else {
            subjectLevels.put(subject, level);
        }
    }

    int nextId() {
        return maxId + 1;
    }

    /** Live (not deleted) versions of a subject, oldest first; empty if none. */
    List<StoredVersion> liveVersions(String subject) {
        TreeMap<Integer, StoredVersion> versions = subjects.get(subject);
        if (versions == null) {
            return List.of();
        }
        return versions.values().stream().filter(v -> !v.deleted()).toList();
    }

    /** Highest version number ever used in the subject (deleted ones included), 0 if none. */
    int lastVersionNumber(String subject) {
        TreeMap<Integer, StoredVersion> versions = subjects.get(subject);
        return versions == null || versions.isEmpty() ? 0 : versions.lastKey();
    }

    Set<String> liveSubjects() {
        Set<String> live = new TreeSet<>();
        subjects.forEach((name, versions) -> {
            if (versions.values().stream().anyMatch(v -> !v.deleted())) {
                live.add(name);
            }
        });
        return live;
    }

    Optional<StoredVersion> byId(int id) {
        return Optional.ofNullable(byId.get(id));
    }

    Optional<Integer> idOf(String identity) {
        return Optional.ofNullable(idByIdentity.get(identity));
    }

    CompatibilityLevel globalLevel() {
        return globalLevel == null ? defaultLevel : globalLevel;
    }

    Optional<CompatibilityLevel> subjectLevel(String subject) {
        return Optional.ofNullable(subjectLevels.get(subject));
    }

    CompatibilityLevel effectiveLevel(String subject) {
        return subjectLevel(subject).orElse(globalLevel());
    }

    /**
     * Parses a schema whose named types may come from referenced versions (parsed first into the same parser).
     *
     * @throws RegistryError 42201 when the schema or a reference is invalid
     */
    Schema parse(String schema, List<SchemaReference> references) {
        Schema.Parser parser = new Schema.Parser();
        addReferences(parser, references, new HashSet<>());
        try {
            return parser.parse(schema);
        } catch (AvroRuntimeException | NullPointerException | IllegalArgumentException e) {
            // AvroRuntimeException covers SchemaParseException and AvroTypeException (e.g. a default of the wrong type)
            throw new RegistryError(RegistryError.INVALID_SCHEMA, "Invalid schema: " + e.getMessage(), e);
        }
    }

    private void addReferences(Schema.Parser parser, List<SchemaReference> references, Set<String> seen) {
        for (SchemaReference ref : references) {
            if (ref.subject() == null || !seen.add(ref.subject() + "/" + ref.version())) {
                continue;
            }
            StoredVersion target = Optional.ofNullable(subjects.get(ref.subject())).map(m -> m.get(ref.version()))
                    .orElseThrow(() -> new RegistryError(RegistryError.INVALID_SCHEMA,
                            "Invalid schema: reference " + ref.name() + " points to " + ref.subject() + " version " + ref.version() + ", which does not exist"));
            addReferences(parser, target.references(), seen);
            try {
                parser.parse(target.schema());
            } catch (SchemaParseException e) {
                throw new RegistryError(RegistryError.INVALID_SCHEMA, "Invalid schema: referenced " + ref.subject() + " version " + ref.version() + ": " + e.getMessage(), e);
            }
        }
    }

    /** Identity of a schema: its parsed form re-emitted by Avro (whitespace and key order do not matter) plus references. */
    static String identity(Schema parsed, List<SchemaReference> references) {
        List<String> refs = new ArrayList<>();
        references.forEach(r -> refs.add(r.name() + "=" + r.subject() + "/" + r.version()));
        return parsed.toString() + "|" + String.join(",", refs);
    }
}
