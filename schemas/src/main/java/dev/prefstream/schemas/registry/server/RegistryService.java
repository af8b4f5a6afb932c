package dev.prefstream.schemas.registry.server;

import dev.prefstream.schemas.registry.CompatibilityLevel;
import org.apache.avro.Schema;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Confluent Schema Registry semantics over {@link RegistryState} and {@link SchemaLog}: registration with
 * compatibility checks, lookups, config. Every write is stored in the log before the state changes, so an answer
 * a client got is never lost on restart. Methods are synchronized: one embedded registry, low request rates.
 */
final class RegistryService {

    /** The answer to a lookup or registration. */
    record Registered(String subject, int version, int id, String schema, String schemaType, List<SchemaReference> references) {
        static Registered of(StoredVersion v) {
            return new Registered(v.subject(), v.version(), v.id(), v.schema(), v.schemaType(), v.references());
        }
    }

    private final RegistryState state;
    private final SchemaLog log;

    RegistryService(RegistryState state, SchemaLog log) {
        this.state = state;
        this.log = log;
    }

    /**
     * Registers a schema under a subject. An identical schema already live in the subject returns its id; a schema
     * known under another subject keeps its global id; otherwise a new id (monotonic) is assigned.
     */
    synchronized Registered register(String subject, String schemaText, String schemaType, List<SchemaReference> references) {
        requireAvro(schemaType);
        Schema candidate = state.parse(schemaText, references);
        String identity = RegistryState.identity(candidate, references);
        List<StoredVersion> live = state.liveVersions(subject);
        for (StoredVersion existing : live) {
            if (sameSchema(existing, identity)) {
                return Registered.of(existing);
            }
        }
        List<String> problems = state.effectiveLevel(subject).violations(candidate, parsedAll(live));
        if (!problems.isEmpty()) {
            throw incompatible(subject, problems);
        }
        int id = state.idOf(identity).orElseGet(state::nextId);
        StoredVersion stored = new StoredVersion(subject, state.lastVersionNumber(subject) + 1, id, schemaText, "AVRO", references, false);
        log.writeVersion(stored);
        state.applyVersion(stored);
        return Registered.of(stored);
    }

    /** Finds the live version of {@code subject} holding this schema: 40401 if no subject, 40403 if not there. */
    synchronized Registered lookup(String subject, String schemaText, String schemaType, List<SchemaReference> references) {
        requireAvro(schemaType);
        List<StoredVersion> live = requireSubject(subject);
        String identity = RegistryState.identity(state.parse(schemaText, references), references);
        return live.stream().filter(v -> sameSchema(v, identity)).reduce((a, b) -> b).map(Registered::of)
                .orElseThrow(() -> new RegistryError(RegistryError.SCHEMA_NOT_FOUND, "Schema not found in subject '" + subject + "'."));
    }

    synchronized StoredVersion schemaById(int id) {
        return state.byId(id).orElseThrow(() -> new RegistryError(RegistryError.SCHEMA_NOT_FOUND, "Schema " + id + " not found"));
    }

    synchronized Set<String> subjects() {
        return state.liveSubjects();
    }

    synchronized List<Integer> versions(String subject) {
        return requireSubject(subject).stream().map(StoredVersion::version).toList();
    }

    /** {@code version} is a positive number, "latest" or -1 (latest). */
    synchronized StoredVersion version(String subject, String version) {
        List<StoredVersion> live = requireSubject(subject);
        int number = parseVersion(version);
        if (number == -1) {
            return live.get(live.size() - 1);
        }
        return live.stream().filter(v -> v.version() == number).findFirst()
                .orElseThrow(() -> RegistryError.versionNotFound(subject, number));
    }

    /**
     * Whether {@code schemaText} could be registered against {@code version}: "latest" applies the subject's level
     * (all versions when transitive), a concrete version checks just that one.
     *
     * @return incompatibility messages; empty when compatible
     */
    synchronized List<String> compatibility(String subject, String version, String schemaText, String schemaType, List<SchemaReference> references) {
        requireAvro(schemaType);
        List<StoredVersion> live = requireSubject(subject);
        Schema candidate = state.parse(schemaText, references);
        CompatibilityLevel level = state.effectiveLevel(subject);
        int number = parseVersion(version);
        if (number == -1) {
            return level.violations(candidate, parsedAll(live));
        }
        StoredVersion target = live.stream().filter(v -> v.version() == number).findFirst()
                .orElseThrow(() -> RegistryError.versionNotFound(subject, number));
        return level.violations(candidate, List.of(state.parse(target.schema(), target.references())));
    }

    /** Soft-deletes every live version of the subject; returns their numbers. */
    synchronized List<Integer> deleteSubject(String subject) {
        List<StoredVersion> live = requireSubject(subject);
        List<Integer> deleted = new ArrayList<>();
        for (StoredVersion v : live) {
            StoredVersion gone = v.asDeleted();
            log.writeVersion(gone);
            state.applyVersion(gone);
            deleted.add(v.version());
        }
        return deleted;
    }

    synchronized CompatibilityLevel globalLevel() {
        return state.globalLevel();
    }

    synchronized CompatibilityLevel setGlobalLevel(String level) {
        CompatibilityLevel parsed = RegistryError.parseLevel(level);
        log.writeConfig(null, parsed);
        state.applyConfig(null, parsed);
        return parsed;
    }

    /** The subject's own level; empty when it inherits the global one. */
    synchronized Optional<CompatibilityLevel> subjectLevel(String subject) {
        return state.subjectLevel(subject);
    }

    synchronized CompatibilityLevel setSubjectLevel(String subject, String level) {
        CompatibilityLevel parsed = RegistryError.parseLevel(level);
        log.writeConfig(subject, parsed);
        state.applyConfig(subject, parsed);
        return parsed;
    }

    /** Removes the subject's own level (it inherits the global one again); returns the removed level. */
    synchronized CompatibilityLevel deleteSubjectLevel(String subject) {
        CompatibilityLevel previous = state.subjectLevel(subject).orElseThrow(() -> RegistryError.subjectNotFound(subject));
        log.writeConfig(subject, null);
        state.applyConfig(subject, null);
        return previous;
    }

    private boolean sameSchema(StoredVersion existing, String identity) {
        try {
            return RegistryState.identity(state.parse(existing.schema(), existing.references()), existing.references()).equals(identity);
        } catch (RegistryError e) {
            return false;
        }
    }

    private List<Schema> parsedAll(List<StoredVersion> versions) {
        List<Schema> parsed = new ArrayList<>(versions.size());
        for (StoredVersion v : versions) {
            parsed.add(state.parse(v.schema(), v.references()));
        }
        return parsed;
    }

    private List<StoredVersion> requireSubject(String subject) {
        List<StoredVersion> live = state.liveVersions(subject);
        if (live.isEmpty()) {
            throw RegistryError.subjectNotFound(subject);
        }
        return live;
    }

    private static RegistryError incompatible(String subject, List<String> problems) {
        return new RegistryError(RegistryError.INCOMPATIBLE_SCHEMA,
                "Schema being registered is incompatible with an earlier schema for subject \"" + subject + "\", details: " + problems);
    }

    private static void requireAvro(String schemaType) {
        if (schemaType != null && !schemaType.equalsIgnoreCase("AVRO")) {
            throw new RegistryError(RegistryError.INVALID_SCHEMA, "Invalid schema: schemaType " + schemaType
                    + " is not supported by the embedded registry (AVRO only)");
        }
    }

    private static int parseVersion(String version) {
        if ("latest".equals(version) || "-1".equals(version)) {
            return -1;
        }
        try {
            int number = Integer.parseInt(version);
            if (number >= 1) {
                return number;
            }
        } catch (NumberFormatException e) {
            // fall through to the Confluent error below
        }
        throw new RegistryError(RegistryError.INVALID_VERSION, "The specified version '" + version
                + "' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
    }
}
