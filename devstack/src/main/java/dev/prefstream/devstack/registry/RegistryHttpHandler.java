package dev.prefstream.devstack.registry;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.prefstream.schemas.registry.CompatibilityLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Routes Confluent Schema Registry REST requests to {@link RegistryService} and writes JSON answers with content
 * type {@code application/vnd.schemaregistry.v1+json} (or {@code application/json} for a client that accepts only
 * that); failures become {@code {"error_code":..,"message":..}}. Request bodies must be JSON objects sent as the vnd
 * types or {@code application/json}: anything else, and a body without a Content-Type, is 415 (stricter than
 * Confluent, which also takes octet-stream and no type: a browser's cross-site form or text/plain POST cannot
 * register or change anything), unparsable JSON 400, JSON of the wrong shape 422, as Confluent answers.
 * Query parameters Confluent clients send and that mean nothing here ({@code normalize}, {@code subject},
 * {@code format} other than "resolved", {@code offset}/{@code limit}...) are accepted and ignored.
 */
final class RegistryHttpHandler implements HttpHandler {

    static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final String PLAIN_JSON = "application/json";
    private static final Set<String> ACCEPTED_BODY_TYPES = Set.of(CONTENT_TYPE, "application/vnd.schemaregistry+json", PLAIN_JSON);
    /** The only mode this registry has: no READONLY, no IMPORT (ids are always assigned here). */
    private static final String MODE = "READWRITE";
    private static final Set<String> CONFLUENT_MODES = Set.of("READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT");
    private static final Logger log = LoggerFactory.getLogger(RegistryHttpHandler.class);

    private final RegistryService service;
    private final ObjectMapper json;

    RegistryHttpHandler(RegistryService service, ObjectMapper json) {
        this.service = service;
        this.json = json;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            int status = 200;
            Object body;
            List<String> path = segments(exchange.getRequestURI().getRawPath());
            try {
                body = route(exchange.getRequestMethod(), path, query(exchange.getRequestURI().getRawQuery()), exchange);
            } catch (RegistryError e) {
                status = e.httpStatus();
                body = error(e.errorCode(), e.getMessage());
            } catch (JsonProcessingException e) {
                // unparsable JSON is 400; JSON that parses but does not map onto the request is 422 (Confluent's mappers)
                status = e instanceof JsonParseException ? 400 : RegistryError.UNPROCESSABLE_ENTITY;
                body = error(status, "Unrecognized request body: " + e.getOriginalMessage());
            } catch (RuntimeException e) {
                log.error("registry request {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
                status = 500;
                body = error(500, "Internal Server Error: " + e);
            }
            byte[] bytes = body instanceof RawJson raw ? raw.text().getBytes(StandardCharsets.UTF_8) : json.writeValueAsBytes(body);
            exchange.getResponseHeaders().set("Content-Type", responseType(exchange.getRequestHeaders().getFirst("Accept")));
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** A body written as is: a stored schema text, which is JSON already. */
    private record RawJson(String text) {
    }

    private Object route(String method, List<String> path, Map<String, String> query, HttpExchange exchange) throws IOException {
        int n = path.size();
        String first = n > 0 ? path.get(0) : "";
        boolean deleted = flag(query, "deleted");
        RegistryState.Filter filter = RegistryState.Filter.of(deleted, flag(query, "deletedOnly"));
        switch (method + " " + first + " " + n) {
            case "GET  0":
                return json.createObjectNode();
            case "GET subjects 1":
                return service.subjects(filter, query.get("subjectPrefix"));
            case "POST subjects 2": {
                Request r = request(exchange);
                return versionBody(service.lookup(path.get(1), r.schema, r.schemaType, r.references, deleted));
            }
            case "DELETE subjects 2":
                return service.deleteSubject(path.get(1), flag(query, "permanent"));
            case "GET subjects 3":
                if (path.get(2).equals("versions")) {
                    return service.versions(path.get(1), filter);
                }
                break;
            case "POST subjects 3":
                if (path.get(2).equals("versions")) {
                    Request r = request(exchange);
                    return json.createObjectNode().put("id", service.register(path.get(1), r.schema, r.schemaType, r.references, r.id).id());
                }
                break;
            case "GET subjects 4":
                if (path.get(2).equals("versions")) {
                    return versionBody(RegistryService.Registered.of(service.version(path.get(1), path.get(3), deleted)));
                }
                break;
            case "DELETE subjects 4":
                if (path.get(2).equals("versions")) {
                    return service.deleteVersion(path.get(1), path.get(3), flag(query, "permanent"));
                }
                break;
            case "GET subjects 5":
                if (path.get(2).equals("versions") && path.get(4).equals("schema")) {
                    return new RawJson(service.version(path.get(1), path.get(3), deleted).schema());
                }
                if (path.get(2).equals("versions") && path.get(4).equals("referencedby")) {
                    return service.referencedBy(path.get(1), path.get(3));
                }
                break;
            case "GET schemas 1":
                return schemaList(service.schemas(deleted ? RegistryState.Filter.INCLUDE_DELETED : RegistryState.Filter.LIVE,
                        query.get("subjectPrefix"), flag(query, "latestOnly")));
            case "GET schemas 2":
                if (path.get(1).equals("types")) {
                    return List.of("AVRO");
                }
                break;
            case "GET schemas 3":
                if (path.get(1).equals("ids")) {
                    return schemaById(path.get(2), query);
                }
                break;
            case "GET schemas 4":
                if (path.get(1).equals("ids")) {
                    int id = parseId(path.get(2));
                    switch (path.get(3)) {
                        case "schema":
                            return new RawJson(formatted(service.schemaById(id), query.get("format")));
                        case "subjects":
                            return service.subjectsForId(id, query.get("subject"), deleted);
                        case "versions":
                            return service.versionsForId(id, query.get("subject"), deleted).stream()
                                    .map(v -> json.createObjectNode().put("subject", v.subject()).put("version", v.version())).toList();
                        default:
                            break;
                    }
                }
                break;
            case "POST compatibility 4":
            case "POST compatibility 5":
                if (path.get(1).equals("subjects") && path.get(3).equals("versions")) {
                    Request r = request(exchange);
                    List<String> problems = service.compatibility(path.get(2), n == 5 ? path.get(4) : null, r.schema, r.schemaType, r.references);
                    ObjectNode answer = json.createObjectNode().put("is_compatible", problems.isEmpty());
                    if (flag(query, "verbose")) {
                        answer.set("messages", json.valueToTree(problems));
                    }
                    return answer;
                }
                break;
            case "GET config 1":
                return json.createObjectNode().put("compatibilityLevel", service.globalLevel().name());
            case "PUT config 1":
                return json.createObjectNode().put("compatibility", service.setGlobalLevel(compatibilityField(exchange)).name());
            case "GET config 2": {
                String subject = path.get(1);
                CompatibilityLevel level = service.subjectLevel(subject).orElseGet(() -> {
                    if (flag(query, "defaultToGlobal")) {
                        return service.globalLevel();
                    }
                    throw new RegistryError(RegistryError.SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED,
                            "Subject '" + subject + "' does not have subject-level compatibility configured");
                });
                return json.createObjectNode().put("compatibilityLevel", level.name());
            }
            case "PUT config 2":
                return json.createObjectNode().put("compatibility", service.setSubjectLevel(path.get(1), compatibilityField(exchange)).name());
            case "DELETE config 2":
                return json.createObjectNode().put("compatibilityLevel", service.deleteSubjectLevel(path.get(1)).name());
            case "GET mode 1":
                return json.createObjectNode().put("mode", MODE);
            case "GET mode 2":
                // as Confluent: no subject has a mode of its own, so only defaultToGlobal=true answers
                if (flag(query, "defaultToGlobal")) {
                    return json.createObjectNode().put("mode", MODE);
                }
                throw new RegistryError(RegistryError.SUBJECT_LEVEL_MODE_NOT_CONFIGURED,
                        "Subject '" + path.get(1) + "' does not have subject-level mode configured");
            case "PUT mode 1":
            case "PUT mode 2":
                return json.createObjectNode().put("mode", requireReadWrite(readBody(exchange).path("mode").asText(null)));
            default:
                break;
        }
        if (!allowedMethods(path).isEmpty()) {
            throw new RegistryError(RegistryError.METHOD_NOT_ALLOWED, "HTTP 405 Method Not Allowed: " + method + " /" + String.join("/", path)
                    + " (allowed: " + String.join(", ", allowedMethods(path)) + ")");
        }
        throw new RegistryError(404, "HTTP 404 Not Found: " + method + " /" + String.join("/", path));
    }

    /** Methods the router answers on this path, for a 405 instead of a 404 when only the method is wrong. */
    private static List<String> allowedMethods(List<String> path) {
        int n = path.size();
        String first = n > 0 ? path.get(0) : "";
        String third = n > 2 ? path.get(2) : "";
        String last = n > 0 ? path.get(n - 1) : "";
        if (n == 0) {
            return List.of("GET");
        }
        return switch (first + " " + n) {
            case "subjects 1", "schemas 1", "mode 1" -> first.equals("mode") ? List.of("GET", "PUT") : List.of("GET");
            case "subjects 2" -> List.of("POST", "DELETE");
            case "subjects 3" -> third.equals("versions") ? List.of("GET", "POST") : List.of();
            case "subjects 4" -> third.equals("versions") ? List.of("GET", "DELETE") : List.of();
            case "subjects 5" -> third.equals("versions") && (last.equals("schema") || last.equals("referencedby")) ? List.of("GET") : List.of();
            case "schemas 2" -> last.equals("types") ? List.of("GET") : List.of();
            case "schemas 3" -> path.get(1).equals("ids") ? List.of("GET") : List.of();
            case "schemas 4" -> path.get(1).equals("ids") && Set.of("schema", "subjects", "versions").contains(last) ? List.of("GET") : List.of();
            case "compatibility 4", "compatibility 5" -> path.get(1).equals("subjects") && path.get(3).equals("versions")
                    ? List.of("POST") : List.of();
            case "config 1" -> List.of("GET", "PUT");
            case "config 2" -> List.of("GET", "PUT", "DELETE");
            case "mode 2" -> List.of("GET", "PUT");
            default -> List.of();
        };
    }

    private static String requireReadWrite(String mode) {
        if (mode == null || !CONFLUENT_MODES.contains(mode.toUpperCase(Locale.ROOT))) {
            throw new RegistryError(RegistryError.INVALID_MODE, "Invalid mode " + mode + ": one of " + new TreeSet<>(CONFLUENT_MODES));
        }
        if (!mode.equalsIgnoreCase(MODE)) {
            throw new RegistryError(RegistryError.OPERATION_NOT_PERMITTED, "Mode " + mode + " is not supported: the embedded registry is always " + MODE);
        }
        return MODE;
    }

    /** Answers with the vnd type unless the client's Accept names plain JSON and not the vnd types. */
    private static String responseType(String accept) {
        if (accept != null && accept.contains(PLAIN_JSON) && !accept.contains("application/vnd.schemaregistry")) {
            return PLAIN_JSON;
        }
        return CONTENT_TYPE;
    }

    private static boolean flag(Map<String, String> query, String name) {
        return Boolean.parseBoolean(query.get(name));
    }

    private List<ObjectNode> schemaList(List<StoredVersion> versions) {
        return versions.stream().map(v -> versionBody(RegistryService.Registered.of(v))).toList();
    }

    /** Confluent's "resolved" format inlines referenced types; every other format is the text as registered. */
    private String formatted(StoredVersion v, String format) {
        if ("resolved".equalsIgnoreCase(format)) {
            return service.resolved(v);
        }
        return v.schema();
    }

    private ObjectNode schemaById(String rawId, Map<String, String> query) {
        StoredVersion v = service.schemaById(parseId(rawId));
        ObjectNode answer = json.createObjectNode().put("schema", formatted(v, query.get("format")));
        if (!v.references().isEmpty()) {
            answer.set("references", json.valueToTree(v.references()));
        }
        if (flag(query, "fetchMaxId")) {
            answer.put("maxId", service.maxId());
        }
        return answer;
    }

    /** Confluent's Schema entity: subject, version, id, schema; schemaType only when not AVRO, references when any. */
    private ObjectNode versionBody(RegistryService.Registered r) {
        ObjectNode answer = json.createObjectNode();
        answer.put("subject", r.subject()).put("version", r.version()).put("id", r.id());
        if (r.schemaType() != null && !r.schemaType().equals("AVRO")) {
            answer.put("schemaType", r.schemaType());
        }
        answer.put("schema", r.schema());
        if (!r.references().isEmpty()) {
            answer.set("references", json.valueToTree(r.references()));
        }
        return answer;
    }

    /** @param id the "id" field, null when absent */
    private record Request(String schema, String schemaType, List<SchemaReference> references, Integer id) {
    }

    private Request request(HttpExchange exchange) throws IOException {
        JsonNode body = readBody(exchange);
        JsonNode schema = body.get("schema");
        if (schema == null || !schema.isTextual()) {
            throw new RegistryError(RegistryError.INVALID_SCHEMA, "Invalid schema: the request body needs a \"schema\" string");
        }
        String schemaType = body.hasNonNull("schemaType") ? body.get("schemaType").asText() : null;
        List<SchemaReference> references = new ArrayList<>();
        if (body.hasNonNull("references")) {
            references.addAll(Arrays.asList(json.treeToValue(body.get("references"), SchemaReference[].class)));
        }
        JsonNode id = body.get("id");
        if (id != null && !id.isNull() && !id.canConvertToInt()) {
            throw new RegistryError(RegistryError.UNPROCESSABLE_ENTITY, "Unrecognized request body: \"id\" must be an integer");
        }
        return new Request(schema.asText(), schemaType, references, id == null || id.isNull() ? null : id.asInt());
    }

    private String compatibilityField(HttpExchange exchange) throws IOException {
        JsonNode body = readBody(exchange);
        JsonNode level = body.has("compatibility") ? body.get("compatibility") : body.get("compatibilityLevel");
        return level == null || level.isNull() ? null : level.asText();
    }

    private JsonNode readBody(HttpExchange exchange) throws IOException {
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        String mediaType = contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (!ACCEPTED_BODY_TYPES.contains(mediaType)) {
            throw new RegistryError(RegistryError.UNSUPPORTED_MEDIA_TYPE, "HTTP 415 Unsupported Media Type: "
                    + (mediaType.isEmpty() ? "no Content-Type" : mediaType) + "; send " + CONTENT_TYPE + " or " + PLAIN_JSON);
        }
        try (InputStream in = exchange.getRequestBody()) {
            byte[] bytes = in.readAllBytes();
            JsonNode body = bytes.length == 0 ? json.createObjectNode() : json.readTree(bytes);
            if (body == null || !body.isObject()) {
                throw new RegistryError(RegistryError.UNPROCESSABLE_ENTITY, "Unrecognized request body: expected a JSON object");
            }
            return body;
        }
    }

    private static int parseId(String raw) {
        try {
            return Integer.parseInt(raw);
        } catch (NumberFormatException e) {
            throw new RegistryError(RegistryError.SCHEMA_NOT_FOUND, "Schema " + raw + " not found");
        }
    }

    private ObjectNode error(int code, String message) {
        return json.createObjectNode().put("error_code", code).put("message", message);
    }

    /** Path segments, each percent-decoded on its own so an encoded '/' inside a subject name stays in it. */
    static List<String> segments(String rawPath) {
        List<String> segments = new ArrayList<>();
        for (String part : rawPath.split("/")) {
            if (!part.isEmpty()) {
                segments.add(URLDecoder.decode(part.replace("+", "%2B"), StandardCharsets.UTF_8));
            }
        }
        return segments;
    }

    private static Map<String, String> query(String rawQuery) {
        Map<String, String> query = new HashMap<>();
        if (rawQuery != null) {
            for (String pair : rawQuery.split("&")) {
                int eq = pair.indexOf('=');
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "true" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                query.put(key, value);
            }
        }
        return query;
    }
}
