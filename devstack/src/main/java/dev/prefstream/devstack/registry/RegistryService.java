package dev.prefstream.devstack.registry;

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
     * known under another subject (or a deleted version) keeps its global id; otherwise a new id (monotonic) is assigned.
     *
     * @param requestedId the body's "id": Confluent honours it only in IMPORT mode, which this registry lacks
     */
    synchronized Registered register(String subject, String schemaText, String schemaType, List<SchemaReference> references, Integer requestedId) {
        requireAvro(schemaType);
        Schema candidate = state.parse(schemaText, references);
        String identity = RegistryState.identity(candidate, references);
        List<StoredVersion> live = state.liveVersions(subject);
        for (StoredVersion existing : live) {
            if (sameSchema(existing, identity) && (requestedId == null || requestedId < 0 || requestedId == existing.id())) {
                return Registered.of(existing);
            }
        }
        if (requestedId != null && requestedId >= 0) {
            throw new RegistryError(RegistryError.OPERATION_NOT_PERMITTED, "Subject '" + subject
                    + "' is not in import mode: the embedded registry is READWRITE and assigns schema ids itself");
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

    /**
     * Finds the version of {@code subject} holding this schema (the newest if several): 40401 if the subject has no
     * version to search, 40403 if the schema is not among them. Soft-deleted versions count only with {@code lookupDeleted}.
     */
    synchronized Registered lookup(String subject, String schemaText, String schemaType, List<SchemaReference> references, boolean lookupDeleted) {
        requireAvro(schemaType);
        List<StoredVersion> candidates = requireSubject(subject, lookupDeleted ? RegistryState.Filter.INCLUDE_DELETED : RegistryState.Filter.LIVE);
        String identity = RegistryState.identity(state.parse(schemaText, references), references);
        return candidates.stream().filter(v -> sameSchema(v, identity)).reduce((a, b) -> b).map(Registered::of)
                .orElseThrow(() -> new RegistryError(RegistryError.SCHEMA_NOT_FOUND, "Schema not found in subject '" + subject + "'."));
    }

    /** The schema behind an id; soft-deleted versions still resolve (data written with them must stay readable). */
    synchronized StoredVersion schemaById(int id) {
        return state.byId(id).orElseThrow(() -> RegistryError.schemaNotFound(id));
    }

    /** The schema with every referenced named type inlined (Confluent's {@code format=resolved}). */
    synchronized String resolved(StoredVersion v) {
        return state.parse(v.schema(), v.references()).toString();
    }

    /** The highest id assigned so far (Confluent's {@code fetchMaxId}). */
    synchronized int maxId() {
        return state.maxId();
    }

    /** Subjects registered with this id, optionally only {@code subjectFilter}; soft-deleted ones with {@code deleted}. */
    synchronized List<String> subjectsForId(int id, String subjectFilter, boolean deleted) {
        return versionsForId(id, subjectFilter, deleted).stream().map(StoredVersion::subject).distinct().toList();
    }

    /** Subject-version pairs registered with this id; 40403 if no stored version holds it. */
    synchronized List<StoredVersion> versionsForId(int id, String subjectFilter, boolean deleted) {
        List<StoredVersion> holders = state.holders(id);
        if (holders.isEmpty()) {
            throw RegistryError.schemaNotFound(id);
        }
        return holders.stream().filter(v -> deleted || !v.deleted())
                .filter(v -> subjectFilter == null || subjectFilter.equals(v.subject())).toList();
    }

    synchronized Set<String> subjects() {
        return state.liveSubjects();
    }

    /** Subjects with a version the filter accepts whose name starts with {@code prefix} (null: all). */
    synchronized List<String> subjects(RegistryState.Filter filter, String prefix) {
        return state.subjects(filter).stream().filter(s -> prefix == null || s.startsWith(prefix)).toList();
    }

    /** Every version the filter accepts (only each subject's newest with {@code latestOnly}), by subject then version. */
    synchronized List<StoredVersion> schemas(RegistryState.Filter filter, String prefix, boolean latestOnly) {
        List<StoredVersion> all = new ArrayList<>();
        for (String subject : subjects(filter, prefix)) {
            List<StoredVersion> versions = state.versions(subject, filter);
            all.addAll(latestOnly ? versions.subList(versions.size() - 1, versions.size()) : versions);
        }
        return all;
    }

    synchronized List<Integer> versions(String subject) {
        return versions(subject, RegistryState.Filter.LIVE);
    }

    synchronized List<Integer> versions(String subject, RegistryState.Filter filter) {
        return requireSubject(subject, filter).stream().map(StoredVersion::version).toList();
    }

    /** {@code version} is a positive number, "latest" or -1 (latest). */
    synchronized StoredVersion version(String subject, String version) {
        return version(subject, version, false);
    }

    /** As {@link #version(String, String)}; soft-deleted versions are found too with {@code lookupDeleted}. */
    synchronized StoredVersion version(String subject, String version, boolean lookupDeleted) {
        int number = parseVersion(version);
        List<StoredVersion> candidates = requireSubject(subject, lookupDeleted ? RegistryState.Filter.INCLUDE_DELETED : RegistryState.Filter.LIVE);
        return pick(subject, candidates, number);
    }

    /** Ids of live schemas whose references point at this version (soft-deleted versions can be asked about too). */
    synchronized List<Integer> referencedBy(String subject, String version) {
        StoredVersion target = version(subject, version, true);
        return state.referencedBy(target.subject(), target.version());
    }

    /**
     * Whether {@code schemaText} could be registered against {@code version}: "latest" applies the subject's level
     * (all versions when transitive), a concrete version checks just that one; null (no version in the path)
     * applies the level to whatever the subject holds, so an empty or unknown subject is compatible.
     *
     * @return incompatibility messages; empty when compatible
     */
    synchronized List<String> compatibility(String subject, String version, String schemaText, String schemaType, List<SchemaReference> references) {
        requireAvro(schemaType);
        int number = version == null ? -1 : parseVersion(version);
        List<StoredVersion> live = version == null ? state.liveVersions(subject) : requireSubject(subject, RegistryState.Filter.LIVE);
        Schema candidate = state.parse(schemaText, references);
        CompatibilityLevel level = state.effectiveLevel(subject);
        if (number == -1) {
            return level.violations(candidate, parsedAll(live));
        }
        StoredVersion target = pick(subject, live, number);
        return level.violations(candidate, List.of(state.parse(target.schema(), target.references())));
    }

    /**
     * Deletes one version. Soft (default): hidden from listings, lookups and compatibility checks, its id still
     * resolves; the subject's own compatibility level goes when its last live version does (as in Confluent).
     * Permanent: only after a soft delete (40407 otherwise); the version is forgotten, its id too unless another
     * version holds it. Either way 42206 while live schemas reference it.
     *
     * @return the deleted version's number
     */
    synchronized int deleteVersion(String subject, String version, boolean permanent) {
        int number = parseVersion(version);
        // as Confluent: a soft delete of "latest" means the newest live version; a permanent one looks at all
        boolean newestLive = number == -1 && !permanent && !state.liveVersions(subject).isEmpty();
        StoredVersion target = pick(subject, requireSubject(subject,
                newestLive ? RegistryState.Filter.LIVE : RegistryState.Filter.INCLUDE_DELETED), number);
        if (!permanent && target.deleted()) {
            throw new RegistryError(RegistryError.VERSION_SOFT_DELETED, "Subject '" + subject + "' Version " + target.version()
                    + " was soft deleted. Set permanent=true to delete permanently");
        }
        requireUnreferenced(target, permanent);
        if (permanent && !target.deleted()) {
            throw new RegistryError(RegistryError.VERSION_NOT_SOFT_DELETED, "Subject '" + subject + "' Version " + target.version()
                    + " was not deleted first before being permanently deleted");
        }
        if (permanent) {
            purge(target);
        } else {
            softDelete(target);
            if (state.liveVersions(subject).isEmpty()) {
                dropSubjectLevel(subject);
            }
        }
        return target.version();
    }

    /**
     * Deletes a subject. Soft (default): every live version, plus the subject's own compatibility level; 40404 if
     * it holds only soft-deleted versions. Permanent: every version, only once all are soft-deleted (40405 otherwise).
     *
     * @return the numbers of the versions deleted
     */
    synchronized List<Integer> deleteSubject(String subject, boolean permanent) {
        List<StoredVersion> all = requireSubject(subject, RegistryState.Filter.INCLUDE_DELETED);
        List<StoredVersion> targets = permanent ? all : all.stream().filter(v -> !v.deleted()).toList();
        if (targets.isEmpty()) {
            throw new RegistryError(RegistryError.SUBJECT_SOFT_DELETED, "Subject '" + subject
                    + "' was soft deleted. Set permanent=true to delete permanently");
        }
        for (StoredVersion v : targets) {
            requireUnreferenced(v, permanent);
            if (permanent && !v.deleted()) {
                throw new RegistryError(RegistryError.SUBJECT_NOT_SOFT_DELETED, "Subject '" + subject
                        + "' was not deleted first before being permanently deleted");
            }
        }
        List<Integer> deleted = new ArrayList<>();
        for (StoredVersion v : targets) {
            if (permanent) {
                purge(v);
            } else {
                softDelete(v);
            }
            deleted.add(v.version());
        }
        if (!permanent) {
            dropSubjectLevel(subject);
        }
        return deleted;
    }

    private void softDelete(StoredVersion v) {
        StoredVersion gone = v.asDeleted();
        log.writeVersion(gone);
        state.applyVersion(gone);
    }

    private void purge(StoredVersion v) {
        log.writePurge(v);
        state.applyPurge(v.subject(), v.version(), v.id());
    }

    private void dropSubjectLevel(String subject) {
        if (state.subjectLevel(subject).isPresent()) {
            log.writeConfig(subject, null);
            state.applyConfig(subject, null);
        }
    }

    /**
     * Refuses to delete a version other schemas reference. A permanent delete also counts soft-deleted referrers
     * (as Confluent does): their ids still resolve, and data written with them would stop decoding.
     */
    private void requireUnreferenced(StoredVersion v, boolean permanent) {
        List<Integer> referrers = state.referencedBy(v.subject(), v.version(), permanent);
        if (!referrers.isEmpty()) {
            throw new RegistryError(RegistryError.REFERENCE_EXISTS, "One or more references exist to the schema {magic=1,keytype=SCHEMA,subject="
                    + v.subject() + ",version=" + v.version() + "}: schemas " + referrers
                    + " reference it; delete them first" + (permanent ? " (permanently, for a permanent delete)" : ""));
        }
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

    private List<StoredVersion> requireSubject(String subject, RegistryState.Filter filter) {
        List<StoredVersion> versions = state.versions(subject, filter);
        if (versions.isEmpty()) {
            throw RegistryError.subjectNotFound(subject);
        }
        return versions;
    }

    /** The version numbered {@code number} among {@code candidates} (non-empty), or the newest of them for -1. */
    private static StoredVersion pick(String subject, List<StoredVersion> candidates, int number) {
        if (number == -1) {
            return candidates.get(candidates.size() - 1);
        }
        return candidates.stream().filter(v -> v.version() == number).findFirst()
                .orElseThrow(() -> RegistryError.versionNotFound(subject, number));
    }

    private static RegistryError incompatible(String subject, List<String> problems) {
        return new RegistryError(RegistryError.INCOMPATIBLE_SCHEMA,
                "Schema being registered is incompatible with an earlier schema for subject \"" + subject + "\", details: " + problems);
    }

    private static void requireAvro(String schemaType) {
        if (schemaType != null && !schemaType.equalsIgnoreCase("AVRO")) {
            throw new RegistryError(RegistryError.INVALID_SCHEMA, "Invalid schema type " + schemaType
                    + ": the embedded registry supports AVRO only (see GET /schemas/types)");
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
