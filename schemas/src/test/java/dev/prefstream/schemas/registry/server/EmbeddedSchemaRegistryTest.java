package dev.prefstream.schemas.registry.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.schemas.testing.KafkaClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The registry's REST behaviour, over real HTTP, stored on a real broker. */
class EmbeddedSchemaRegistryTest {

    @RegisterExtension
    static final KafkaClusterExtension kafka = new KafkaClusterExtension(1, Map.of());

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    private static final String USER_V1 = """
            {"type":"record","name":"User","namespace":"t","fields":[{"name":"name","type":"string"}]}""";
    /** v1 plus an optional field with a default: BACKWARD compatible. */
    private static final String USER_V2 = """
            {"type":"record","name":"User","namespace":"t","fields":[{"name":"name","type":"string"},
             {"name":"age","type":["null","int"],"default":null}]}""";
    /** v1 plus a required field without default: a new reader cannot read old data, BACKWARD incompatible. */
    private static final String USER_REQUIRED_EMAIL = """
            {"type":"record","name":"User","namespace":"t","fields":[{"name":"name","type":"string"},{"name":"email","type":"string"}]}""";

    /** A second registry on the same broker, started by a test; closed at the end. */
    private static EmbeddedSchemaRegistry restarted;

    @AfterAll
    static void closeRestarted() {
        if (restarted != null) {
            restarted.close();
        }
    }

    @Test
    void rootAnswersAndUnknownRouteIsJson404() throws Exception {
        assertThat(get("/").statusCode()).isEqualTo(200);
        HttpResponse<String> missing = get("/no/such/route");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.headers().firstValue("Content-Type")).contains(CONTENT_TYPE);
        assertThat(json(missing).get("error_code").asInt()).isEqualTo(404);
    }

    @Test
    void registersVersionsAndAnswersLookups() throws Exception {
        String subject = subject("users-value");
        HttpResponse<String> first = post("/subjects/" + subject + "/versions", schemaBody(USER_V1));
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("Content-Type")).contains(CONTENT_TYPE);
        int id1 = json(first).get("id").asInt();
        assertThat(id1).isPositive();

        // same schema, different whitespace and explicit schemaType: same id, no new version
        String reformatted = USER_V1.replace(",", " ,  ").replace(":", " : ");
        HttpResponse<String> again = post("/subjects/" + subject + "/versions",
                JSON.createObjectNode().put("schema", reformatted).put("schemaType", "AVRO").set("references", JSON.createArrayNode()).toString());
        assertThat(json(again).get("id").asInt()).isEqualTo(id1);

        int id2 = json(post("/subjects/" + subject + "/versions", schemaBody(USER_V2))).get("id").asInt();
        assertThat(id2).isGreaterThan(id1);

        assertThat(json(get("/subjects")).toString()).contains("\"" + subject + "\"");
        assertThat(json(get("/subjects/" + subject + "/versions")).toString()).isEqualTo("[1,2]");

        JsonNode latest = json(get("/subjects/" + subject + "/versions/latest"));
        assertThat(latest.get("subject").asText()).isEqualTo(subject);
        assertThat(latest.get("version").asInt()).isEqualTo(2);
        assertThat(latest.get("id").asInt()).isEqualTo(id2);
        assertThat(JSON.readTree(latest.get("schema").asText())).isEqualTo(JSON.readTree(USER_V2));

        JsonNode v1 = json(get("/subjects/" + subject + "/versions/1"));
        assertThat(v1.get("id").asInt()).isEqualTo(id1);

        JsonNode byId = json(get("/schemas/ids/" + id1));
        assertThat(JSON.readTree(byId.get("schema").asText())).isEqualTo(JSON.readTree(USER_V1));
        assertThat(JSON.readTree(get("/schemas/ids/" + id1 + "/schema").body())).isEqualTo(JSON.readTree(USER_V1));

        JsonNode lookup = json(post("/subjects/" + subject, schemaBody(USER_V1)));
        assertThat(lookup.get("version").asInt()).isEqualTo(1);
        assertThat(lookup.get("id").asInt()).isEqualTo(id1);
    }

    @Test
    void sameSchemaUnderAnotherSubjectKeepsItsGlobalId() throws Exception {
        String schema = """
                {"type":"record","name":"Shared","namespace":"t","fields":[{"name":"x","type":"long"}]}""";
        int a = json(post("/subjects/" + subject("a") + "/versions", schemaBody(schema))).get("id").asInt();
        int b = json(post("/subjects/" + subject("b") + "/versions", schemaBody(schema))).get("id").asInt();
        assertThat(b).isEqualTo(a);
    }

    @Test
    void rejectsBackwardIncompatibleSchemaWith409() throws Exception {
        String subject = subject("compat-value");
        post("/subjects/" + subject + "/versions", schemaBody(USER_V1));

        HttpResponse<String> check = post("/compatibility/subjects/" + subject + "/versions/latest", schemaBody(USER_REQUIRED_EMAIL));
        assertThat(check.statusCode()).isEqualTo(200);
        assertThat(json(check).get("is_compatible").asBoolean()).isFalse();
        assertThat(json(post("/compatibility/subjects/" + subject + "/versions/1", schemaBody(USER_V2))).get("is_compatible").asBoolean()).isTrue();
        JsonNode verbose = json(post("/compatibility/subjects/" + subject + "/versions/latest?verbose=true", schemaBody(USER_REQUIRED_EMAIL)));
        assertThat(verbose.get("messages").toString()).contains("email");

        HttpResponse<String> rejected = post("/subjects/" + subject + "/versions", schemaBody(USER_REQUIRED_EMAIL));
        assertThat(rejected.statusCode()).isEqualTo(409);
        assertThat(json(rejected).get("error_code").asInt()).isEqualTo(409);
        assertThat(json(rejected).get("message").asText()).contains(subject).contains("email");
        assertThat(json(get("/subjects/" + subject + "/versions")).toString()).isEqualTo("[1]");
    }

    @Test
    void compatibilityLevelsAreConfigurableGloballyAndPerSubject() throws Exception {
        assertThat(json(get("/config")).get("compatibilityLevel").asText()).isEqualTo("BACKWARD");

        String subject = subject("forward-value");
        post("/subjects/" + subject + "/versions", schemaBody(USER_V1));
        HttpResponse<String> notConfigured = get("/config/" + subject);
        assertThat(notConfigured.statusCode()).isEqualTo(404);
        assertThat(json(notConfigured).get("error_code").asInt()).isEqualTo(40408);
        assertThat(json(get("/config/" + subject + "?defaultToGlobal=true")).get("compatibilityLevel").asText()).isEqualTo("BACKWARD");

        HttpResponse<String> put = put("/config/" + subject, "{\"compatibility\":\"NONE\"}");
        assertThat(put.statusCode()).isEqualTo(200);
        assertThat(json(put).get("compatibility").asText()).isEqualTo("NONE");
        assertThat(json(get("/config/" + subject)).get("compatibilityLevel").asText()).isEqualTo("NONE");
        // NONE: the incompatible schema is accepted as version 2
        assertThat(post("/subjects/" + subject + "/versions", schemaBody(USER_REQUIRED_EMAIL)).statusCode()).isEqualTo(200);

        // FORWARD: old readers must read new data; removing a field without default from the reader's view breaks it
        put("/config/" + subject, "{\"compatibility\":\"FORWARD\"}");
        String withoutName = """
                {"type":"record","name":"User","namespace":"t","fields":[{"name":"email","type":"string"}]}""";
        assertThat(post("/subjects/" + subject + "/versions", schemaBody(withoutName)).statusCode()).isEqualTo(409);

        HttpResponse<String> invalid = put("/config/" + subject, "{\"compatibility\":\"SIDEWAYS\"}");
        assertThat(invalid.statusCode()).isEqualTo(422);
        assertThat(json(invalid).get("error_code").asInt()).isEqualTo(42203);
    }

    @Test
    void invalidSchemaIs42201() throws Exception {
        HttpResponse<String> garbage = post("/subjects/" + subject("bad") + "/versions", schemaBody("{not avro at all"));
        assertThat(garbage.statusCode()).isEqualTo(422);
        assertThat(json(garbage).get("error_code").asInt()).isEqualTo(42201);

        HttpResponse<String> protobuf = post("/subjects/" + subject("bad") + "/versions",
                JSON.createObjectNode().put("schema", "syntax = \"proto3\";").put("schemaType", "PROTOBUF").toString());
        assertThat(json(protobuf).get("error_code").asInt()).isEqualTo(42201);

        String wrongDefault = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"x\",\"type\":\"int\",\"default\":\"nope\"}]}";
        HttpResponse<String> badDefault = post("/subjects/" + subject("bad") + "/versions", schemaBody(wrongDefault));
        assertThat(badDefault.statusCode()).isEqualTo(422);
        assertThat(json(badDefault).get("error_code").asInt()).isEqualTo(42201);
    }

    @Test
    void unknownSubjectVersionAndSchemaAreConfluentErrors() throws Exception {
        HttpResponse<String> noSubject = get("/subjects/" + subject("nobody") + "/versions/latest");
        assertThat(noSubject.statusCode()).isEqualTo(404);
        assertThat(json(noSubject).get("error_code").asInt()).isEqualTo(40401);

        String subject = subject("known");
        post("/subjects/" + subject + "/versions", schemaBody(USER_V1));
        HttpResponse<String> noVersion = get("/subjects/" + subject + "/versions/7");
        assertThat(noVersion.statusCode()).isEqualTo(404);
        assertThat(json(noVersion).get("error_code").asInt()).isEqualTo(40402);

        HttpResponse<String> noSchema = get("/schemas/ids/999999");
        assertThat(noSchema.statusCode()).isEqualTo(404);
        assertThat(json(noSchema).get("error_code").asInt()).isEqualTo(40403);

        HttpResponse<String> notInSubject = post("/subjects/" + subject, schemaBody(USER_V2));
        assertThat(notInSubject.statusCode()).isEqualTo(404);
        assertThat(json(notInSubject).get("error_code").asInt()).isEqualTo(40403);

        HttpResponse<String> badVersion = get("/subjects/" + subject + "/versions/zero");
        assertThat(badVersion.statusCode()).isEqualTo(422);
        assertThat(json(badVersion).get("error_code").asInt()).isEqualTo(42202);
    }

    @Test
    void deletedSubjectDisappearsButIdStillResolves() throws Exception {
        String subject = subject("doomed");
        int id = json(post("/subjects/" + subject + "/versions", schemaBody(USER_V1))).get("id").asInt();
        HttpResponse<String> deleted = delete("/subjects/" + subject);
        assertThat(deleted.body()).isEqualTo("[1]");
        assertThat(json(get("/subjects")).toString()).doesNotContain("\"" + subject + "\"");
        assertThat(json(get("/subjects/" + subject + "/versions")).get("error_code").asInt()).isEqualTo(40401);
        assertThat(get("/schemas/ids/" + id).statusCode()).isEqualTo(200);
    }

    @Test
    void referencesResolveNamedTypesFromOtherSubjects() throws Exception {
        String addressSubject = subject("address");
        post("/subjects/" + addressSubject + "/versions", schemaBody("""
                {"type":"record","name":"Address","namespace":"t","fields":[{"name":"city","type":"string"}]}"""));
        String customer = """
                {"type":"record","name":"Customer","namespace":"t","fields":[{"name":"home","type":"t.Address"}]}""";
        String body = JSON.createObjectNode().put("schema", customer)
                .set("references", JSON.readTree("[{\"name\":\"t.Address\",\"subject\":\"" + addressSubject + "\",\"version\":1}]")).toString();
        HttpResponse<String> registered = post("/subjects/" + subject("customer") + "/versions", body);
        assertThat(registered.statusCode()).isEqualTo(200);
        JsonNode byId = json(get("/schemas/ids/" + json(registered).get("id").asInt()));
        assertThat(byId.get("references").get(0).get("subject").asText()).isEqualTo(addressSubject);
    }

    @Test
    void schemasIdsAndConfigSurviveARegistryRestartOnTheSameBroker() throws Exception {
        String subject = subject("durable-value");
        int id1 = json(post("/subjects/" + subject + "/versions", schemaBody(USER_V1))).get("id").asInt();
        int id2 = json(post("/subjects/" + subject + "/versions", schemaBody(USER_V2))).get("id").asInt();
        put("/config/" + subject, "{\"compatibility\":\"FULL\"}");

        restarted = EmbeddedSchemaRegistry.start(new EmbeddedSchemaRegistry.Settings(kafka.clientConfig(), "localhost", 0,
                TopicLayout.SCHEMAS, Duration.ofSeconds(30)));
        String base = restarted.url();
        assertThat(json(send(base, "GET", "/subjects/" + subject + "/versions", null)).toString()).isEqualTo("[1,2]");
        assertThat(json(send(base, "GET", "/subjects/" + subject + "/versions/latest", null)).get("id").asInt()).isEqualTo(id2);
        assertThat(JSON.readTree(json(send(base, "GET", "/schemas/ids/" + id1, null)).get("schema").asText())).isEqualTo(JSON.readTree(USER_V1));
        assertThat(json(send(base, "GET", "/config/" + subject, null)).get("compatibilityLevel").asText()).isEqualTo("FULL");
        // the same schema again keeps its id; a new one gets an id above everything stored before the restart
        assertThat(json(send(base, "POST", "/subjects/" + subject + "/versions", schemaBody(USER_V2))).get("id").asInt()).isEqualTo(id2);
        String v3 = USER_V2.replace("]}", ",{\"name\":\"nick\",\"type\":[\"null\",\"string\"],\"default\":null}]}");
        int id3 = json(send(base, "POST", "/subjects/" + subject + "/versions", schemaBody(v3))).get("id").asInt();
        assertThat(id3).isGreaterThan(id2);
    }

    private static String subject(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static String schemaBody(String schema) {
        return JSON.createObjectNode().put("schema", schema).toString();
    }

    private static JsonNode json(HttpResponse<String> response) throws IOException {
        return JSON.readTree(response.body());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return send(kafka.registryUrl(), "GET", path, null);
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return send(kafka.registryUrl(), "POST", path, body);
    }

    private static HttpResponse<String> put(String path, String body) throws Exception {
        return send(kafka.registryUrl(), "PUT", path, body);
    }

    private static HttpResponse<String> delete(String path) throws Exception {
        return send(kafka.registryUrl(), "DELETE", path, null);
    }

    private static HttpResponse<String> send(String base, String method, String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", CONTENT_TYPE)
                .header("Accept", CONTENT_TYPE)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }
}
