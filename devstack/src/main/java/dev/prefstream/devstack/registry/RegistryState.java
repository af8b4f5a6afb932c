package dev.prefstream.devstack.registry;

import dev.prefstream.schemas.registry.CompatibilityLevel;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
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

    /** Which versions a listing includes: Confluent's default (live only), {@code deleted=true}, {@code deletedOnly=true}. */
    enum Filter {
        LIVE, INCLUDE_DELETED, DELETED_ONLY;

        static Filter of(boolean deleted, boolean deletedOnly) {
            return deletedOnly ? DELETED_ONLY : deleted ? INCLUDE_DELETED : LIVE;
        }

        boolean accepts(StoredVersion v) {
            return switch (this) {
                case LIVE -> !v.deleted();
                case INCLUDE_DELETED -> true;
                case DELETED_ONLY -> v.deleted();
            };
        }
    }

    /** Live and soft-deleted versions per subject; permanently deleted ones are gone from here. */
    private final Map<String, TreeMap<Integer, StoredVersion>> subjects = new HashMap<>();
    /** Highest version number ever stored per subject, permanently deleted ones included: numbers are not reused. */
    private final Map<String, Integer> highestVersion = new HashMap<>();
    private final Map<String, Integer> idByIdentity = new HashMap<>();
    private final Map<String, CompatibilityLevel> subjectLevels = new HashMap<>();
    private CompatibilityLevel globalLevel;
    private final CompatibilityLevel defaultLevel;
    /** Highest id ever assigned, purged ones included: ids are never reused. */
    private int maxId;

    RegistryState(CompatibilityLevel defaultLevel) {
        this.defaultLevel = defaultLevel;
    }

    void apply(SchemaLog.Entry entry) {
        if (entry instanceof SchemaLog.VersionEntry v) {
            applyVersion(v.version());
        } else if (entry instanceof SchemaLog.PurgedEntry p) {
            applyPurge(p.subject(), p.version(), p.id());
        } else if (entry instanceof SchemaLog.ConfigEntry c) {
            applyConfig(c.subject(), c.level());
        }
    }

    void applyVersion(StoredVersion v) {
        subjects.computeIfAbsent(v.subject(), s -> new TreeMap<>()).put(v.version(), v);
        highestVersion.merge(v.subject(), v.version(), Math::max);
        maxId = Math.max(maxId, v.id());
        try {
            idByIdentity.putIfAbsent(identity(parse(v.schema(), v.references()), v.references()), v.id());
        } catch (RegistryError | SchemaParseException e) {
            // an unparsable stored schema still resolves by id; it just cannot be matched by content
        }
    }

    /** Forgets a version for good; its id stops resolving once no other version holds it. */
    void applyPurge(String subject, int version, int id) {
        highestVersion.merge(subject, version, Math::max);
        maxId = Math.max(maxId, id);
        TreeMap<Integer, StoredVersion> versions = subjects.get(subject);
        StoredVersion gone = versions == null ? null : versions.remove(version);
        if (versions != null && versions.isEmpty()) {
            subjects.remove(subject);
        }
        if (gone != null && holders(gone.id()).isEmpty()) {
            idByIdentity.values().removeIf(held -> held == gone.id());
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

    int maxId() {
        return maxId;
    }

    /** Live (not deleted) versions of a subject, oldest first; empty if none. */
    List<StoredVersion> liveVersions(String subject) {
        return versions(subject, Filter.LIVE);
    }

    /** The subject's versions the filter accepts, oldest first; empty if none. */
    List<StoredVersion> versions(String subject, Filter filter) {
        TreeMap<Integer, StoredVersion> versions = subjects.get(subject);
        if (versions == null) {
            return List.of();
        }
        return versions.values().stream().filter(filter::accepts).toList();
    }

    /** Highest version number ever used in the subject (deleted ones included), 0 if none. */
    int lastVersionNumber(String subject) {
        return highestVersion.getOrDefault(subject, 0);
    }

    Set<String> liveSubjects() {
        return subjects(Filter.LIVE);
    }

    /** Subjects having at least one version the filter accepts, sorted. */
    Set<String> subjects(Filter filter) {
        Set<String> names = new TreeSet<>();
        subjects.forEach((name, versions) -> {
            if (versions.values().stream().anyMatch(filter::accepts)) {
                names.add(name);
            }
        });
        return names;
    }

    /**
     * Every stored version (live or soft-deleted) registered with this id, by subject then version. A scan: the
     * embedded registry holds tens of versions, and a scan cannot go stale when versions are deleted.
     */
    List<StoredVersion> holders(int id) {
        List<StoredVersion> found = new ArrayList<>();
        new TreeMap<>(subjects).values().forEach(versions -> versions.values().forEach(v -> {
            if (v.id() == id) {
                found.add(v);
            }
        }));
        return found;
    }

    /** The schema behind an id: a live holder if there is one, else a soft-deleted one (ids survive soft deletes). */
    Optional<StoredVersion> byId(int id) {
        List<StoredVersion> holders = holders(id);
        return holders.stream().filter(v -> !v.deleted()).findFirst().or(() -> holders.stream().findFirst());
    }

    /** Ids of live versions whose references point at {@code subject}/{@code version}, ascending. */
    List<Integer> referencedBy(String subject, int version) {
        return referencedBy(subject, version, false);
    }

    /** Ids of the schemas referencing the version; soft-deleted referrers too when {@code includeDeleted}. */
    List<Integer> referencedBy(String subject, int version, boolean includeDeleted) {
        Set<Integer> ids = new TreeSet<>();
        subjects.values().forEach(versions -> versions.values().forEach(v -> {
            if ((includeDeleted || !v.deleted()) && v.references().stream().anyMatch(r -> subject.equals(r.subject()) && r.version() == version)) {
                ids.add(v.id());
            }
        }));
        return List.copyOf(ids);
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
