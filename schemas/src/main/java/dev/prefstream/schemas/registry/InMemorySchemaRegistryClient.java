package dev.prefstream.schemas.registry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * A registry held in memory, with Confluent's semantics where a client notices them: ids are global and start at 1,
 * the same schema gets the same id in every subject, registering a schema a subject already holds returns its id,
 * and a new version must pass the subject's {@link CompatibilityLevel} (BACKWARD by default) or is refused with
 * 409. Used for {@code schema.registry.url=mock://<scope>}: one shared instance per scope name, as Confluent's
 * {@code MockSchemaRegistry} does, so a serializer and a deserializer configured with the same URL see the same
 * schemas. Not for production: nothing survives the JVM.
 */
public final class InMemorySchemaRegistryClient implements SchemaRegistryClient {

    private static final Map<String, InMemorySchemaRegistryClient> SCOPES = new ConcurrentHashMap<>();

    private final String endpoint;
    private final Map<String, Integer> idBySchemaText = new HashMap<>();
    private final Map<Integer, Schema> schemaById = new HashMap<>();
    private final Map<String, List<RegisteredSchema>> versionsBySubject = new LinkedHashMap<>();
    private final Map<String, CompatibilityLevel> compatibilityBySubject = new HashMap<>();
    /** Fast path for the serializer's per-record register call: skips rendering the schema as JSON. */
    private final Map<String, Map<Schema, Integer>> idBySchemaBySubject = new HashMap<>();
    private CompatibilityLevel defaultCompatibility = CompatibilityLevel.BACKWARD;
    private int nextId = 1;

    /** A private registry, not shared with anyone. */
    public InMemorySchemaRegistryClient() {
        this("mock://private-" + Integer.toHexString(System.identityHashCode(new Object())));
    }

    private InMemorySchemaRegistryClient(String endpoint) {
        this.endpoint = endpoint;
    }

    /** The registry shared by everyone in this JVM who names {@code mock://<scope>}. */
    public static InMemorySchemaRegistryClient forScope(String scope) {
        return SCOPES.computeIfAbsent(scope, s -> new InMemorySchemaRegistryClient("mock://" + s));
    }

    /** Forgets the registry of {@code scope} (tests use it to start clean). */
    public static void dropScope(String scope) {
        SCOPES.remove(scope);
    }

    /** Sets the default compatibility level for subjects without their own. */
    public synchronized void setDefaultCompatibility(CompatibilityLevel level) {
        defaultCompatibility = level;
    }

    /** Sets the compatibility level of one subject. */
    public synchronized void setCompatibility(String subject, CompatibilityLevel level) {
        compatibilityBySubject.put(subject, level);
    }

    @Override
    public synchronized int register(String subject, Schema schema) {
        Integer known = idBySchemaBySubject.getOrDefault(subject, Map.of()).get(schema);
        if (known != null) {
            return known;
        }
        String text = schema.toString();
        List<RegisteredSchema> versions = versionsBySubject.getOrDefault(subject, List.of());
        for (RegisteredSchema v : versions) {
            if (v.schema().toString().equals(text)) {
                idBySchemaBySubject.computeIfAbsent(subject, k -> new HashMap<>()).put(schema, v.id());
                return v.id();
            }
        }
        List<String> problems = compatibility(subject).violations(schema, versions.stream().map(RegisteredSchema::schema).toList());
        if (!problems.isEmpty()) {
            String registryMessage = "Schema being registered is incompatible with an earlier schema for subject \"" + subject + "\", details: " + problems;
            throw new RegistryErrorException(endpoint, 409, RegistryErrorException.INCOMPATIBLE_SCHEMA, registryMessage,
                    "registry " + endpoint + " refused schema " + schema.getFullName() + " for subject " + subject + " (409): " + registryMessage);
        }
        int id = idBySchemaText.computeIfAbsent(text, t -> nextId++);
        schemaById.putIfAbsent(id, schema);
        versionsBySubject.computeIfAbsent(subject, s -> new ArrayList<>()).add(new RegisteredSchema(subject, id, versions.size() + 1, schema));
        idBySchemaBySubject.computeIfAbsent(subject, k -> new HashMap<>()).put(schema, id);
        return id;
    }

    @Override
    public synchronized Schema getById(int id) {
        Schema schema = schemaById.get(id);
        if (schema == null) {
            throw notFound(RegistryErrorException.SCHEMA_NOT_FOUND, "Schema " + id + " not found", "schema id " + id);
        }
        return schema;
    }

    @Override
    public synchronized RegisteredSchema latest(String subject) {
        List<RegisteredSchema> versions = versionsBySubject.get(subject);
        if (versions == null || versions.isEmpty()) {
            throw notFound(RegistryErrorException.SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.", "subject " + subject);
        }
        return versions.get(versions.size() - 1);
    }

    @Override
    public synchronized RegisteredSchema lookup(String subject, Schema schema) {
        List<RegisteredSchema> versions = versionsBySubject.get(subject);
        if (versions == null || versions.isEmpty()) {
            throw notFound(RegistryErrorException.SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.", "subject " + subject);
        }
        String text = schema.toString();
        return versions.stream().filter(v -> v.schema().toString().equals(text)).findFirst()
                .orElseThrow(() -> notFound(RegistryErrorException.SCHEMA_NOT_FOUND, "Schema not found",
                        "schema " + schema.getFullName() + " in subject " + subject));
    }

    @Override
    public synchronized boolean isCompatible(String subject, Schema schema) {
        List<RegisteredSchema> versions = versionsBySubject.getOrDefault(subject, List.of());
        return compatibility(subject).violations(schema, versions.stream().map(RegisteredSchema::schema).toList()).isEmpty();
    }

    @Override
    public synchronized List<String> subjects() {
        return List.copyOf(versionsBySubject.keySet());
    }

    @Override
    public String endpoint() {
        return endpoint;
    }

    private CompatibilityLevel compatibility(String subject) {
        return compatibilityBySubject.getOrDefault(subject, defaultCompatibility);
    }

    private RegistryErrorException notFound(int code, String registryMessage, String what) {
        return new RegistryErrorException(endpoint, 404, code, registryMessage,
                "registry " + endpoint + " has no " + what + " (" + code + ": " + registryMessage + ")");
    }
}
