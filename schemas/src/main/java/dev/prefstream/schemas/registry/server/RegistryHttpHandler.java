package dev.prefstream.schemas.registry.server;

import dev.prefstream.schemas.registry.CompatibilityLevel;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
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
import java.util.Map;

/**
 * Routes Confluent Schema Registry REST requests to {@link RegistryService} and writes JSON answers with content
 * type {@code application/vnd.schemaregistry.v1+json}; failures become {@code {"error_code":..,"message":..}}.
 */
final class RegistryHttpHandler implements HttpHandler {

    static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
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
            try {
                body = route(exchange.getRequestMethod(), segments(exchange.getRequestURI().getRawPath()),
                        query(exchange.getRequestURI().getRawQuery()), exchange);
            } catch (RegistryError e) {
                status = e.httpStatus();
                body = error(e.errorCode(), e.getMessage());
            } catch (JsonProcessingException e) {
                status = 400;
                body = error(400, "Unrecognized request body: " + e.getOriginalMessage());
            } catch (RuntimeException e) {
                log.error("registry request {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
                status = 500;
                body = error(500, "Internal Server Error: " + e);
            }
            byte[] bytes = json.writeValueAsBytes(body);
            exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private Object route(String method, List<String> path, Map<String, String> query, HttpExchange exchange) throws IOException {
        int n = path.size();
        String first = n > 0 ? path.get(0) : "";
        switch (method + " " + first + " " + n) {
            case "GET  0":
                return json.createObjectNode();
            case "GET subjects 1":
                return service.subjects();
            case "POST subjects 2": {
                Request r = request(exchange);
                return registered(service.lookup(path.get(1), r.schema, r.schemaType, r.references), true);
            }
            case "DELETE subjects 2":
                return service.deleteSubject(path.get(1));
            case "GET subjects 3":
                if (path.get(2).equals("versions")) {
                    return service.versions(path.get(1));
                }
                break;
            case "POST subjects 3":
                if (path.get(2).equals("versions")) {
                    Request r = request(exchange);
                    return json.createObjectNode().put("id", service.register(path.get(1), r.schema, r.schemaType, r.references).id());
                }
                break;
            case "GET subjects 4":
                if (path.get(2).equals("versions")) {
                    return registered(RegistryService.Registered.of(service.version(path.get(1), path.get(3))), true);
                }
                break;
            case "GET subjects 5":
                if (path.get(2).equals("versions") && path.get(4).equals("schema")) {
                    return json.readTree(service.version(path.get(1), path.get(3)).schema());
                }
                break;
            case "GET schemas 3":
                if (path.get(1).equals("ids")) {
                    return schemaById(path.get(2));
                }
                break;
            case "GET schemas 4":
                if (path.get(1).equals("ids") && path.get(3).equals("schema")) {
                    return json.readTree(service.schemaById(parseId(path.get(2))).schema());
                }
                break;
            case "POST compatibility 5":
                if (path.get(1).equals("subjects") && path.get(3).equals("versions")) {
                    Request r = request(exchange);
                    List<String> problems = service.compatibility(path.get(2), path.get(4), r.schema, r.schemaType, r.references);
                    ObjectNode answer = json.createObjectNode().put("is_compatible", problems.isEmpty());
                    if (Boolean.parseBoolean(query.get("verbose"))) {
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
                    if (Boolean.parseBoolean(query.get("defaultToGlobal"))) {
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
            default:
                break;
        }
        throw new RegistryError(404, "HTTP 404 Not Found: " + method + " /" + String.join("/", path));
    }

    private ObjectNode schemaById(String rawId) {
        StoredVersion v = service.schemaById(parseId(rawId));
        ObjectNode answer = json.createObjectNode().put("schema", v.schema());
        if (!v.references().isEmpty()) {
            answer.set("references", json.valueToTree(v.references()));
        }
        return answer;
    }

    private ObjectNode registered(RegistryService.Registered r, boolean withSubject) {
        ObjectNode answer = json.createObjectNode();
        if (withSubject) {
            answer.put("subject", r.subject()).put("version", r.version());
        }
        answer.put("id", r.id()).put("schema", r.schema());
        if (!r.references().isEmpty()) {
            answer.set("references", json.valueToTree(r.references()));
        }
        return answer;
    }

    private record Request(String schema, String schemaType, List<SchemaReference> references) {
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
        return new Request(schema.asText(), schemaType, references);
    }

    private String compatibilityField(HttpExchange exchange) throws IOException {
        JsonNode body = readBody(exchange);
        JsonNode level = body.has("compatibility") ? body.get("compatibility") : body.get("compatibilityLevel");
        return level == null || level.isNull() ? null : level.asText();
    }

    private JsonNode readBody(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] bytes = in.readAllBytes();
            JsonNode body = bytes.length == 0 ? json.createObjectNode() : json.readTree(bytes);
            if (!body.isObject()) {
                throw RegistryError.badRequest("Unrecognized request body: expected a JSON object");
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
    private static List<String> segments(String rawPath) {
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
