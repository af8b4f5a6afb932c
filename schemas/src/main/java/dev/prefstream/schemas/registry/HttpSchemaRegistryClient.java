package dev.prefstream.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Confluent Schema Registry REST client (also Karapace, Redpanda, and prefstream's embedded registry) on the JDK
 * {@link HttpClient}. Caches both directions, because the serde asks on every record: schema to id per subject
 * (filled by register and lookup) and id to schema (ids are immutable). {@link #latest} is not cached here: callers
 * that want a cache for it keep their own with a TTL. Several base URLs are tried in turn on I/O failure; the one
 * that worked is tried first next time.
 */
public final class HttpSchemaRegistryClient implements SchemaRegistryClient {

    /** Confluent's media type for requests and answers. */
    public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    private static final Logger log = LoggerFactory.getLogger(HttpSchemaRegistryClient.class);
    private static final String ACCEPT = CONTENT_TYPE + ", application/vnd.schemaregistry+json; q=0.9, application/json; q=0.5";

    private final HttpRegistrySettings settings;
    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();
    private final Optional<String> authorization;
    private final Map<String, Map<Schema, Integer>> idBySchemaBySubject = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemaById = new ConcurrentHashMap<>();
    private final UnknownSchemaIds unknownIds = new UnknownSchemaIds(System::nanoTime);
    private final Map<String, Map<Schema, RegisteredSchema>> lookupsBySubject = new ConcurrentHashMap<>();
    private volatile int preferredUrl;
    /** Ids to schemas kept at most (a real registry has far fewer; the bound only matters against floods). */
    static final int MAX_CACHED_IDS = 10_000;

    public HttpSchemaRegistryClient(HttpRegistrySettings settings) {
        this.settings = settings;
        HttpClient.Builder builder = HttpClient.newBuilder()
                .connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NORMAL);
        settings.sslContext().ifPresent(builder::sslContext);
        this.http = builder.build();
        this.authorization = settings.userInfo()
                .map(u -> "Basic " + Base64.getEncoder().encodeToString(u.getBytes(StandardCharsets.UTF_8)));
    }

    /** A client for one URL with default settings. */
    public static HttpSchemaRegistryClient forUrl(String url) {
        return new HttpSchemaRegistryClient(HttpRegistrySettings.of(url));
    }

    @Override
    public int register(String subject, Schema schema) {
        Map<Schema, Integer> known = idBySchemaBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
        Integer cached = known.get(schema);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = send("POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema), "register " + schema.getFullName() + " under subject " + subject);
        int id = requiredInt(answer, "id");
        known.put(schema, id);
        schemaById.putIfAbsent(id, schema);
        log.debug("registered {} under subject {} as id {} at {}", schema.getFullName(), subject, id, endpoint());
        return id;
    }

    @Override
    public Schema getById(int id) {
        Schema cached = schemaById.get(id);
        if (cached != null) {
            return cached;
        }
        // ids come from record headers, which anyone who can produce chooses: a stream of made-up ids must not
        // cost one blocking registry call each (see UnknownSchemaIds)
        unknownIds.check(id, endpoint());
        JsonNode answer;
        try {
            answer = send("GET", "/schemas/ids/" + id, null, "fetch schema id " + id);
        } catch (RegistryErrorException e) {
            if (e.isSchemaNotFound()) {
                unknownIds.remember(id, e);
            }
            throw e;
        }
        Schema schema = parse(answer, "schema id " + id);
        if (schemaById.size() >= MAX_CACHED_IDS) {
            return schema; // bounded: a registry with more schemas than this costs a call per uncached id, never memory
        }
        Schema raced = schemaById.putIfAbsent(id, schema);
        return raced != null ? raced : schema;
    }

    @Override
    public RegisteredSchema latest(String subject) {
        JsonNode answer = send("GET", "/subjects/" + encode(subject) + "/versions/latest", null, "fetch the latest version of subject " + subject);
        return registered(subject, answer);
    }

    @Override
    public RegisteredSchema lookup(String subject, Schema schema) {
        Map<Schema, RegisteredSchema> known = lookupsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
        RegisteredSchema cached = known.get(schema);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = send("POST", "/subjects/" + encode(subject), schemaBody(schema), "look up " + schema.getFullName() + " in subject " + subject);
        RegisteredSchema found = registered(subject, answer);
        known.put(schema, found);
        return found;
    }

    @Override
    public boolean isCompatible(String subject, Schema schema) {
        try {
            JsonNode answer = send("POST", "/compatibility/subjects/" + encode(subject) + "/versions/latest", schemaBody(schema),
                    "check compatibility of " + schema.getFullName() + " with subject " + subject);
            JsonNode flag = answer.get("is_compatible");
            if (flag == null || !flag.isBoolean()) {
                throw malformed("is_compatible", answer, "compatibility check for subject " + subject);
            }
            return flag.booleanValue();
        } catch (RegistryErrorException e) {
            if (e.isSubjectNotFound() || e.errorCode() == RegistryErrorException.VERSION_NOT_FOUND) {
                return true; // nothing registered yet: the first version is always accepted
            }
            throw e;
        }
    }

    @Override
    public List<String> subjects() {
        JsonNode answer = send("GET", "/subjects", null, "list subjects");
        if (!answer.isArray()) {
            throw malformed("[subjects]", answer, "list subjects");
        }
        List<String> subjects = new ArrayList<>();
        answer.forEach(n -> subjects.add(n.asText()));
        return List.copyOf(subjects);
    }

    /** Caches are exposed for tests and metrics: how many ids are known. */
    public int cachedIds() {
        return schemaById.size();
    }

    /** How many schema-id fetches were answered "not found" from the negative cache, without a registry call. */
    public long unknownIdsAnsweredWithoutCall() {
        return unknownIds.refusedWithoutCall();
    }

    @Override
    public String endpoint() {
        return settings.urls().size() == 1 ? settings.urls().get(0).toString() : settings.urls().toString();
    }

    @Override
    public void close() {
        // java.net.http.HttpClient only gained close() in Java 21; on 17 its threads end when it is unreachable
    }

    private String schemaBody(Schema schema) {
        ObjectNode body = json.createObjectNode();
        body.put("schema", schema.toString());
        return body.toString();
    }

    private RegisteredSchema registered(String subject, JsonNode answer) {
        Schema schema = parse(answer, "subject " + subject);
        int id = requiredInt(answer, "id");
        int version = requiredInt(answer, "version");
        String answeredSubject = answer.hasNonNull("subject") ? answer.get("subject").asText() : subject;
        schemaById.putIfAbsent(id, schema);
        return new RegisteredSchema(answeredSubject, id, version, schema);
    }

    private Schema parse(JsonNode answer, String what) {
        JsonNode text = answer.get("schema");
        if (text == null || !text.isTextual()) {
            throw malformed("schema", answer, what);
        }
        if (answer.hasNonNull("schemaType") && !"AVRO".equalsIgnoreCase(answer.get("schemaType").asText())) {
            throw new RegistryErrorException(endpoint(), 200, 0, "schemaType " + answer.get("schemaType").asText(),
                    "registry " + endpoint() + " holds " + what + " as " + answer.get("schemaType").asText() + ", not AVRO");
        }
        // referenced types first, into the same parser, so the schema's names resolve (as Confluent's AvroSchemaProvider)
        Map<String, String> referenced = new LinkedHashMap<>();
        collectReferences(answer.get("references"), what, referenced, new HashSet<>());
        Schema.Parser parser = new Schema.Parser();
        try {
            for (String reference : referenced.values()) {
                parser.parse(reference);
            }
            return parser.parse(text.asText());
        } catch (RuntimeException e) {
            throw new RegistryErrorException(endpoint(), 200, RegistryErrorException.INVALID_SCHEMA, e.getMessage(),
                    "registry " + endpoint() + " returned an unparsable Avro schema for " + what
                            + (referenced.isEmpty() ? "" : " (with references " + referenced.keySet() + ")") + ": " + e.getMessage());
        }
    }

    /**
     * Confluent schema references ({@code [{"name","subject","version"}]}, as registered by clients that keep each
     * named type in its own subject): fetches each referenced version, and its own references, depth first, so
     * {@code texts} ends up with every referenced schema text after the ones it needs, each once. Costs one GET per
     * referenced version, only when an id's schema is first fetched (the parsed result is cached by id).
     */
    private void collectReferences(JsonNode references, String what, Map<String, String> texts, Set<String> visiting) {
        if (references == null || references.isNull()) {
            return;
        }
        if (!references.isArray()) {
            throw malformed("references", references, what);
        }
        for (JsonNode reference : references) {
            JsonNode subject = reference.get("subject");
            JsonNode version = reference.get("version");
            if (subject == null || !subject.isTextual() || version == null || version.isNull()) {
                throw malformed("references[].subject/version", reference, what);
            }
            String key = subject.asText() + "/versions/" + version.asText();
            if (texts.containsKey(key) || !visiting.add(key)) {
                continue; // already collected, or a cycle
            }
            String name = reference.path("name").asText(subject.asText());
            JsonNode answer = send("GET", "/subjects/" + encode(subject.asText()) + "/versions/" + encode(version.asText()), null,
                    "fetch " + name + " (subject " + subject.asText() + " version " + version.asText() + "), referenced by " + what);
            JsonNode text = answer.get("schema");
            if (text == null || !text.isTextual()) {
                throw malformed("schema", answer, "reference " + name + " of " + what);
            }
            collectReferences(answer.get("references"), "reference " + name + " of " + what, texts, visiting);
            texts.put(key, text.asText());
        }
    }

    private int requiredInt(JsonNode answer, String field) {
        JsonNode n = answer.get(field);
        if (n == null || !n.canConvertToInt()) {
            throw malformed(field, answer, "field " + field);
        }
        return n.intValue();
    }

    private RegistryErrorException malformed(String field, JsonNode answer, String what) {
        return new RegistryErrorException(endpoint(), 200, 0, String.valueOf(answer),
                "registry " + endpoint() + " answered without '" + field + "' for " + what + ": " + abbreviate(String.valueOf(answer)));
    }

    /**
     * Sends one request, trying each base URL in turn (starting with the last one that worked) while they fail
     * with I/O errors. 4xx answers are final; 5xx answers and I/O failures of every URL are retriable.
     */
    private JsonNode send(String method, String path, String body, String action) {
        List<URI> urls = settings.urls();
        List<String> failures = new ArrayList<>();
        IOException lastFailure = null;
        int start = preferredUrl;
        for (int attempt = 0; attempt < urls.size(); attempt++) {
            int index = (start + attempt) % urls.size();
            URI url = resolve(urls.get(index), path);
            HttpRequest.Builder request = HttpRequest.newBuilder(url)
                    .timeout(settings.requestTimeout())
                    .header("Accept", ACCEPT);
            authorization.ifPresent(a -> request.header("Authorization", a));
            if (body == null) {
                request.method(method, HttpRequest.BodyPublishers.noBody());
            } else {
                request.header("Content-Type", CONTENT_TYPE).method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
            }
            HttpResponse<String> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (IOException e) {
                lastFailure = e;
                String hint = e instanceof javax.net.ssl.SSLException ? " (TLS: check schema.registry.ssl.truststore.* / keystore.*)" : "";
                failures.add(url + ": " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()) + hint);
                log.debug("schema registry {} failed to {}: {}", url, action, e.toString());
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryUnavailableException(url.toString(), "interrupted while asking schema registry " + url + " to " + action, e);
            }
            preferredUrl = index;
            return answer(response, url, action);
        }
        throw new RegistryUnavailableException(endpoint(),
                "schema registry unreachable (" + action + "): " + String.join("; ", failures), lastFailure);
    }

    private JsonNode answer(HttpResponse<String> response, URI url, String action) {
        int status = response.statusCode();
        String text = response.body() == null ? "" : response.body();
        if (status >= 200 && status < 300) {
            try {
                return json.readTree(text.isEmpty() ? "{}" : text);
            } catch (IOException e) {
                throw new RegistryErrorException(url.toString(), status, 0, text,
                        "schema registry " + url + " answered " + status + " with a body that is not JSON (" + action + "): " + abbreviate(text));
            }
        }
        int errorCode = status;
        String registryMessage = text;
        try {
            JsonNode error = json.readTree(text);
            if (error != null && error.has("error_code")) {
                errorCode = error.get("error_code").asInt(status);
                registryMessage = error.path("message").asText(text);
            }
        } catch (IOException notJson) {
            // keep the raw body as the message
        }
        String message = "schema registry " + url + " refused to " + action + ": HTTP " + status + ", error_code " + errorCode + ": " + abbreviate(registryMessage);
        if (status == 401 || status == 403) {
            message += " (check basic.auth.credentials.source / basic.auth.user.info)";
        }
        if (status >= 500) {
            throw new RegistryUnavailableException(url.toString(), message, null);
        }
        throw new RegistryErrorException(url.toString(), status, errorCode, registryMessage, message);
    }

    private static URI resolve(URI base, String path) {
        String b = base.toString();
        if (b.endsWith("/")) {
            b = b.substring(0, b.length() - 1);
        }
        return URI.create(b + path);
    }

    /** Path-segment encoding: URLEncoder is for forms, so its '+' for space becomes %20. */
    static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String abbreviate(String s) {
        return s.length() <= 500 ? s : s.substring(0, 500) + "...";
    }
}
