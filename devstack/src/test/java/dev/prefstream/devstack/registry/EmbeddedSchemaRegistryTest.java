package dev.prefstream.devstack.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prefstream.devstack.testing.KafkaClusterExtension;
import dev.prefstream.schemas.TopicLayout;
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
import java.util.ArrayList;
import java.util.List;
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

    /** Further registries on the same broker, started by tests (a "restart"); closed at the end. */
    private static final List<EmbeddedSchemaRegistry> restarted = new ArrayList<>();

    @AfterAll
    static void closeRestarted() {
        restarted.forEach(EmbeddedSchemaRegistry::close);
    }

    /** A new registry replaying the same topic: what a restarted process would see. Only read through it. */
    private static String restart() {
        EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(new EmbeddedSchemaRegistry.Settings(kafka.clientConfig(), "localhost", 0,
                TopicLayout.SCHEMAS, Duration.ofSeconds(30)));
        restarted.add(registry);
        return registry.url();
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

        String base = restart();
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

    // ---- Confluent API surface beyond register/lookup: types, modes, shapes, ids, deletes, references, bodies ----

    @Test
    void schemaTypesIsAvroOnlyAndOtherTypesAreRejectedWith42201() throws Exception {
        HttpResponse<String> types = get("/schemas/types");
        assertThat(types.statusCode()).isEqualTo(200);
        assertThat(types.headers().firstValue("Content-Type")).contains(CONTENT_TYPE);
        assertThat(json(types)).isEqualTo(JSON.readTree("[\"AVRO\"]"));

        String subject = subject("json-typed");
        for (String type : List.of("JSON", "PROTOBUF")) {
            HttpResponse<String> rejected = post("/subjects/" + subject + "/versions",
                    JSON.createObjectNode().put("schema", "{\"type\":\"object\"}").put("schemaType", type).toString());
            assertThat(rejected.statusCode()).isEqualTo(422);
            assertThat(json(rejected).get("error_code").asInt()).isEqualTo(42201);
            assertThat(json(rejected).get("message").asText()).contains(type).contains("AVRO only");
        }
        assertThat(json(get("/subjects/" + subject + "/versions")).get("error_code").asInt()).isEqualTo(40401);
    }

    @Test
    void modeIsReadWriteGloballyAndSubjectsHaveNoModeOfTheirOwn() throws Exception {
        assertThat(json(get("/mode"))).isEqualTo(JSON.readTree("{\"mode\":\"READWRITE\"}"));
        HttpResponse<String> subjectMode = get("/mode/" + subject("m"));
        assertThat(subjectMode.statusCode()).isEqualTo(404);
        assertThat(json(subjectMode).get("error_code").asInt()).isEqualTo(40409);
        assertThat(json(get("/mode/" + subject("m") + "?defaultToGlobal=true"))).isEqualTo(JSON.readTree("{\"mode\":\"READWRITE\"}"));

        assertThat(json(put("/mode", "{\"mode\":\"READWRITE\"}"))).isEqualTo(JSON.readTree("{\"mode\":\"READWRITE\"}"));
        HttpResponse<String> imports = put("/mode", "{\"mode\":\"IMPORT\"}");
        assertThat(imports.statusCode()).isEqualTo(422);
        assertThat(json(imports).get("error_code").asInt()).isEqualTo(42205);
        assertThat(json(put("/mode/" + subject("m"), "{\"mode\":\"SIDEWAYS\"}")).get("error_code").asInt()).isEqualTo(42204);
    }

    @Test
    void responseShapesMatchConfluentAndClientQueryParametersAreTolerated() throws Exception {
        String ns = namespace();
        String subject = subject("shapes-value");
        HttpResponse<String> registered = post("/subjects/" + subject + "/versions?normalize=false", schemaBody(user(ns, false)));
        assertThat(registered.statusCode()).isEqualTo(200);
        JsonNode registeredBody = json(registered);
        assertThat(fieldNames(registeredBody)).containsExactly("id");
        int id = registeredBody.get("id").asInt();

        for (String latest : List.of("latest", "-1", "1")) {
            JsonNode v = json(get("/subjects/" + subject + "/versions/" + latest));
            assertThat(fieldNames(v)).as(latest).containsExactlyInAnyOrder("subject", "version", "id", "schema");
            assertThat(v.get("subject").asText()).isEqualTo(subject);
            assertThat(v.get("version").asInt()).isEqualTo(1);
            assertThat(v.get("id").asInt()).isEqualTo(id);
        }
        assertThat(JSON.readTree(get("/subjects/" + subject + "/versions/-1/schema").body())).isEqualTo(JSON.readTree(user(ns, false)));

        // what CachedSchemaRegistryClient sends for a lookup and for a read by id
        JsonNode lookup = json(post("/subjects/" + subject + "?normalize=false&deleted=false", schemaBody(user(ns, false))));
        assertThat(fieldNames(lookup)).containsExactlyInAnyOrder("subject", "version", "id", "schema");
        assertThat(lookup.get("id").asInt()).isEqualTo(id);
        JsonNode byId = json(get("/schemas/ids/" + id + "?fetchMaxId=false&subject=" + subject + "&format="));
        assertThat(fieldNames(byId)).containsExactly("schema");
        JsonNode withMaxId = json(get("/schemas/ids/" + id + "?fetchMaxId=true"));
        assertThat(withMaxId.get("maxId").asInt()).isGreaterThanOrEqualTo(id);

        JsonNode listed = json(get("/schemas?subjectPrefix=" + subject));
        assertThat(listed).hasSize(1);
        assertThat(listed.get(0).get("subject").asText()).isEqualTo(subject);
        assertThat(listed.get(0).get("id").asInt()).isEqualTo(id);

        HttpResponse<String> noVersion = post("/compatibility/subjects/" + subject + "/versions", schemaBody(user(ns, true)));
        assertThat(json(noVersion).get("is_compatible").asBoolean()).isTrue();
    }

    @Test
    void idsMapToTheirSubjectsAndVersions() throws Exception {
        String schema = user(namespace(), false);
        String a = "ida-" + subject("s");
        String b = "idb-" + subject("s");
        int id = json(post("/subjects/" + a + "/versions", schemaBody(schema))).get("id").asInt();
        assertThat(json(post("/subjects/" + b + "/versions", schemaBody(schema))).get("id").asInt()).isEqualTo(id);

        assertThat(json(get("/schemas/ids/" + id + "/subjects"))).isEqualTo(JSON.createArrayNode().add(a).add(b));
        assertThat(json(get("/schemas/ids/" + id + "/versions"))).isEqualTo(JSON.readTree(
                "[{\"subject\":\"" + a + "\",\"version\":1},{\"subject\":\"" + b + "\",\"version\":1}]"));
        assertThat(json(get("/schemas/ids/" + id + "/subjects?subject=" + b))).isEqualTo(JSON.createArrayNode().add(b));

        assertThat(delete("/subjects/" + a + "/versions/1").statusCode()).isEqualTo(200);
        assertThat(json(get("/schemas/ids/" + id + "/subjects"))).isEqualTo(JSON.createArrayNode().add(b));
        assertThat(json(get("/schemas/ids/" + id + "/subjects?deleted=true"))).isEqualTo(JSON.createArrayNode().add(a).add(b));

        HttpResponse<String> unknown = get("/schemas/ids/987654/versions");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json(unknown).get("error_code").asInt()).isEqualTo(40403);
    }

    @Test
    void versionDeleteIsSoftFirstThenPermanent() throws Exception {
        String ns = namespace();
        String subject = subject("vdel-value");
        int id1 = json(post("/subjects/" + subject + "/versions", schemaBody(user(ns, false)))).get("id").asInt();
        int id2 = json(post("/subjects/" + subject + "/versions", schemaBody(user(ns, true)))).get("id").asInt();

        HttpResponse<String> soft = delete("/subjects/" + subject + "/versions/1");
        assertThat(soft.statusCode()).isEqualTo(200);
        assertThat(soft.body()).isEqualTo("1");
        assertThat(get("/subjects/" + subject + "/versions").body()).isEqualTo("[2]");
        assertThat(get("/subjects/" + subject + "/versions?deleted=true").body()).isEqualTo("[1,2]");
        assertThat(get("/subjects/" + subject + "/versions?deletedOnly=true").body()).isEqualTo("[1]");
        assertThat(json(get("/subjects/" + subject + "/versions/1")).get("error_code").asInt()).isEqualTo(40402);
        assertThat(json(get("/subjects/" + subject + "/versions/1?deleted=true")).get("id").asInt()).isEqualTo(id1);
        assertThat(get("/schemas/ids/" + id1).statusCode()).isEqualTo(200); // data written with it stays readable

        HttpResponse<String> again = delete("/subjects/" + subject + "/versions/1");
        assertThat(again.statusCode()).isEqualTo(404);
        assertThat(json(again).get("error_code").asInt()).isEqualTo(40406);
        HttpResponse<String> liveHard = delete("/subjects/" + subject + "/versions/2?permanent=true");
        assertThat(liveHard.statusCode()).isEqualTo(404);
        assertThat(json(liveHard).get("error_code").asInt()).isEqualTo(40407);

        // "latest" soft-deletes the newest live version; then the subject has nothing live
        assertThat(delete("/subjects/" + subject + "/versions/latest").body()).isEqualTo("2");
        assertThat(json(get("/subjects")).toString()).doesNotContain("\"" + subject + "\"");
        assertThat(json(get("/subjects?deleted=true")).toString()).contains("\"" + subject + "\"");
        assertThat(json(get("/subjects/" + subject + "/versions")).get("error_code").asInt()).isEqualTo(40401);
        assertThat(json(post("/subjects/" + subject, schemaBody(user(ns, false)))).get("error_code").asInt()).isEqualTo(40401);
        assertThat(json(post("/subjects/" + subject + "?deleted=true", schemaBody(user(ns, false)))).get("version").asInt()).isEqualTo(1);

        HttpResponse<String> hard = delete("/subjects/" + subject + "/versions/1?permanent=true");
        assertThat(hard.statusCode()).isEqualTo(200);
        assertThat(hard.body()).isEqualTo("1");
        assertThat(get("/subjects/" + subject + "/versions?deleted=true").body()).isEqualTo("[2]");
        assertThat(json(get("/schemas/ids/" + id1)).get("error_code").asInt()).isEqualTo(40403);
        assertThat(get("/schemas/ids/" + id2).statusCode()).isEqualTo(200);

        // registering the purged schema again: a fresh id and the next version number, neither is reused
        JsonNode back = json(post("/subjects/" + subject + "/versions", schemaBody(user(ns, false))));
        assertThat(back.get("id").asInt()).isGreaterThan(id2);
        assertThat(json(get("/subjects/" + subject + "/versions/latest")).get("version").asInt()).isEqualTo(3);
    }

    @Test
    void softDeleteOfLatestTakesTheNewestLiveVersion() throws Exception {
        String ns = namespace();
        String subject = subject("vdel-latest");
        post("/subjects/" + subject + "/versions", schemaBody(user(ns, false)));
        post("/subjects/" + subject + "/versions", schemaBody(user(ns, true)));
        assertThat(delete("/subjects/" + subject + "/versions/2").body()).isEqualTo("2");
        HttpResponse<String> latest = delete("/subjects/" + subject + "/versions/latest");
        assertThat(latest.statusCode()).isEqualTo(200);
        assertThat(latest.body()).isEqualTo("1");
        assertThat(get("/subjects/" + subject + "/versions?deletedOnly=true").body()).isEqualTo("[1,2]");
        // nothing live is left: "latest" is the newest soft-deleted version, already deleted
        assertThat(json(delete("/subjects/" + subject + "/versions/latest")).get("error_code").asInt()).isEqualTo(40406);
        assertThat(delete("/subjects/" + subject + "/versions/latest?permanent=true").body()).isEqualTo("2");
    }

    @Test
    void versionDeleteErrorsAreConfluentCodes() throws Exception {
        String subject = subject("vdel-errors");
        post("/subjects/" + subject + "/versions", schemaBody(user(namespace(), false)));
        HttpResponse<String> badVersion = delete("/subjects/" + subject + "/versions/zero");
        assertThat(badVersion.statusCode()).isEqualTo(422);
        assertThat(json(badVersion).get("error_code").asInt()).isEqualTo(42202);
        assertThat(json(delete("/subjects/" + subject + "/versions/9")).get("error_code").asInt()).isEqualTo(40402);
        assertThat(json(delete("/subjects/" + subject("nobody") + "/versions/1")).get("error_code").asInt()).isEqualTo(40401);
    }

    @Test
    void subjectDeleteIsSoftFirstThenPermanentAndDropsTheSubjectLevel() throws Exception {
        String ns = namespace();
        String subject = subject("sdel-value");
        post("/subjects/" + subject + "/versions", schemaBody(user(ns, false)));
        post("/subjects/" + subject + "/versions", schemaBody(user(ns, true)));
        put("/config/" + subject, "{\"compatibility\":\"FULL\"}");

        HttpResponse<String> liveHard = delete("/subjects/" + subject + "?permanent=true");
        assertThat(liveHard.statusCode()).isEqualTo(404);
        assertThat(json(liveHard).get("error_code").asInt()).isEqualTo(40405);

        assertThat(delete("/subjects/" + subject).body()).isEqualTo("[1,2]");
        assertThat(json(get("/config/" + subject)).get("error_code").asInt()).isEqualTo(40408);
        HttpResponse<String> again = delete("/subjects/" + subject);
        assertThat(again.statusCode()).isEqualTo(404);
        assertThat(json(again).get("error_code").asInt()).isEqualTo(40404);

        assertThat(delete("/subjects/" + subject + "?permanent=true").body()).isEqualTo("[1,2]");
        assertThat(json(get("/subjects?deleted=true")).toString()).doesNotContain("\"" + subject + "\"");
        assertThat(json(delete("/subjects/" + subject + "?permanent=true")).get("error_code").asInt()).isEqualTo(40401);
    }

    @Test
    void referencedVersionsListTheirReferrersAndCannotBeDeleted() throws Exception {
        String ns = namespace();
        String addressSubject = subject("ref-address");
        post("/subjects/" + addressSubject + "/versions", schemaBody(
                "{\"type\":\"record\",\"name\":\"Address\",\"namespace\":\"" + ns + "\",\"fields\":[{\"name\":\"city\",\"type\":\"string\"}]}"));
        String customerSubject = subject("ref-customer");
        String customer = "{\"type\":\"record\",\"name\":\"Customer\",\"namespace\":\"" + ns + "\",\"fields\":[{\"name\":\"home\",\"type\":\"" + ns + ".Address\"}]}";
        String body = JSON.createObjectNode().put("schema", customer).set("references", JSON.readTree(
                "[{\"name\":\"" + ns + ".Address\",\"subject\":\"" + addressSubject + "\",\"version\":1}]")).toString();
        int customerId = json(post("/subjects/" + customerSubject + "/versions", body)).get("id").asInt();

        assertThat(json(get("/subjects/" + addressSubject + "/versions/1/referencedby"))).isEqualTo(JSON.createArrayNode().add(customerId));
        assertThat(json(get("/subjects/" + addressSubject + "/versions/latest/referencedby"))).isEqualTo(JSON.createArrayNode().add(customerId));
        assertThat(get("/subjects/" + customerSubject + "/versions/1/referencedby").body()).isEqualTo("[]");
        assertThat(json(get("/subjects/" + addressSubject + "/versions/4/referencedby")).get("error_code").asInt()).isEqualTo(40402);

        JsonNode resolved = JSON.readTree(json(get("/schemas/ids/" + customerId + "?format=resolved")).get("schema").asText());
        assertThat(resolved.get("fields").get(0).get("type").get("name").asText()).isEqualTo("Address");

        HttpResponse<String> blocked = delete("/subjects/" + addressSubject + "/versions/1");
        assertThat(blocked.statusCode()).isEqualTo(422);
        assertThat(json(blocked).get("error_code").asInt()).isEqualTo(42206);
        assertThat(json(delete("/subjects/" + addressSubject)).get("error_code").asInt()).isEqualTo(42206);

        delete("/subjects/" + customerSubject + "/versions/1");
        assertThat(get("/subjects/" + addressSubject + "/versions/1/referencedby").body()).isEqualTo("[]");
        assertThat(delete("/subjects/" + addressSubject + "/versions/1").statusCode()).isEqualTo(200);
        // the soft-deleted Customer still resolves by id and needs Address: no permanent delete until it is gone too
        HttpResponse<String> hardBlocked = delete("/subjects/" + addressSubject + "/versions/1?permanent=true");
        assertThat(json(hardBlocked).get("error_code").asInt()).isEqualTo(42206);
        assertThat(json(get("/schemas/ids/" + customerId + "?format=resolved")).get("schema").asText()).contains("city");
        assertThat(delete("/subjects/" + customerSubject + "/versions/1?permanent=true").statusCode()).isEqualTo(200);
        assertThat(delete("/subjects/" + addressSubject + "/versions/1?permanent=true").statusCode()).isEqualTo(200);
    }

    @Test
    void deletesSurviveARegistryRestart() throws Exception {
        String ns = namespace();
        String subject = subject("del-durable-value");
        int id1 = json(post("/subjects/" + subject + "/versions", schemaBody(user(ns, false)))).get("id").asInt();
        int id2 = json(post("/subjects/" + subject + "/versions", schemaBody(user(ns, true)))).get("id").asInt();
        String v3 = user(ns, true).replace("]}", ",{\"name\":\"nick\",\"type\":[\"null\",\"string\"],\"default\":null}]}");
        int id3 = json(post("/subjects/" + subject + "/versions", schemaBody(v3))).get("id").asInt();
        String gone = subject("del-gone-value");
        post("/subjects/" + gone + "/versions", schemaBody(user(namespace(), false)));
        delete("/subjects/" + subject + "/versions/1");
        delete("/subjects/" + subject + "/versions/2");
        delete("/subjects/" + subject + "/versions/2?permanent=true");
        delete("/subjects/" + gone);

        String base = restart();
        assertThat(send(base, "GET", "/subjects/" + subject + "/versions", null).body()).isEqualTo("[3]");
        assertThat(send(base, "GET", "/subjects/" + subject + "/versions?deleted=true", null).body()).isEqualTo("[1,3]");
        assertThat(json(send(base, "GET", "/subjects/" + subject + "/versions/1?deleted=true", null)).get("id").asInt()).isEqualTo(id1);
        assertThat(json(send(base, "GET", "/subjects/" + subject + "/versions/2?deleted=true", null)).get("error_code").asInt()).isEqualTo(40402);
        assertThat(JSON.readTree(json(send(base, "GET", "/schemas/ids/" + id1, null)).get("schema").asText())).isEqualTo(JSON.readTree(user(ns, false)));
        assertThat(json(send(base, "GET", "/schemas/ids/" + id2 + "/versions?deleted=true", null)).toString()).doesNotContain(subject);
        assertThat(json(send(base, "GET", "/schemas/ids/" + id3 + "?fetchMaxId=true", null)).get("maxId").asInt()).isGreaterThanOrEqualTo(id3);
        assertThat(json(send(base, "GET", "/subjects", null)).toString()).contains("\"" + subject + "\"").doesNotContain("\"" + gone + "\"");
        assertThat(json(send(base, "GET", "/subjects?deleted=true", null)).toString()).contains("\"" + gone + "\"");
        assertThat(json(send(base, "DELETE", "/subjects/" + subject + "/versions/1", null)).get("error_code").asInt()).isEqualTo(40406);
    }

    @Test
    void requestBodiesAndMediaTypesAreCheckedAsConfluentDoes() throws Exception {
        String subject = subject("bodies");
        String schema = schemaBody(user(namespace(), false));
        HttpResponse<String> plainJson = send(kafka.registryUrl(), "POST", "/subjects/" + subject + "/versions", schema, "application/json", "application/json");
        assertThat(plainJson.statusCode()).isEqualTo(200);
        assertThat(plainJson.headers().firstValue("Content-Type")).contains("application/json");
        assertThat(send(kafka.registryUrl(), "POST", "/subjects/" + subject + "/versions", schema, CONTENT_TYPE + "; charset=UTF-8", "*/*").statusCode())
                .isEqualTo(200);

        HttpResponse<String> text = send(kafka.registryUrl(), "POST", "/subjects/" + subject + "/versions", schema, "text/plain", CONTENT_TYPE);
        assertThat(text.statusCode()).isEqualTo(415);
        assertThat(json(text).get("error_code").asInt()).isEqualTo(415);
        HttpResponse<String> form = send(kafka.registryUrl(), "POST", "/subjects/" + subject + "/versions", schema,
                "application/x-www-form-urlencoded", CONTENT_TYPE);
        assertThat(form.statusCode()).isEqualTo(415);

        HttpResponse<String> broken = post("/subjects/" + subject + "/versions", "{\"schema\":");
        assertThat(broken.statusCode()).isEqualTo(400);
        assertThat(json(broken).get("error_code").asInt()).isEqualTo(400);
        HttpResponse<String> array = post("/subjects/" + subject + "/versions", "[1,2]");
        assertThat(array.statusCode()).isEqualTo(422);
        assertThat(json(array).get("error_code").asInt()).isEqualTo(422);
        HttpResponse<String> badReferences = post("/subjects/" + subject + "/versions",
                JSON.createObjectNode().put("schema", user(namespace(), false)).put("references", "nope").toString());
        assertThat(badReferences.statusCode()).isEqualTo(422);
        HttpResponse<String> noSchema = post("/subjects/" + subject + "/versions", "{\"schemaType\":\"AVRO\"}");
        assertThat(noSchema.statusCode()).isEqualTo(422);
        assertThat(json(noSchema).get("error_code").asInt()).isEqualTo(42201);
        HttpResponse<String> importId = post("/subjects/" + subject + "/versions",
                JSON.createObjectNode().put("schema", user(namespace(), false)).put("id", 424242).toString());
        assertThat(importId.statusCode()).isEqualTo(422);
        assertThat(json(importId).get("error_code").asInt()).isEqualTo(42205);
        assertThat(get("/subjects/" + subject + "/versions").body()).isEqualTo("[1]");
    }

    @Test
    void wrongMethodOnAKnownPathIs405AndUnknownPathIs404() throws Exception {
        HttpResponse<String> wrongMethod = send(kafka.registryUrl(), "DELETE", "/schemas/types", null);
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(json(wrongMethod).get("error_code").asInt()).isEqualTo(405);
        assertThat(put("/subjects", "{}").statusCode()).isEqualTo(405);
        HttpResponse<String> unknown = get("/subjects/x/versions/1/nothing");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json(unknown).get("error_code").asInt()).isEqualTo(404);
    }

    /** A fresh namespace, so a test's schemas (and their ids) are its own and no other test's. */
    private static String namespace() {
        return "ns" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A User record in {@code ns}; {@code withAge} adds an optional field (a BACKWARD-compatible second version). */
    private static String user(String ns, boolean withAge) {
        String schema = withAge ? USER_V2 : USER_V1;
        return schema.replace("\"namespace\":\"t\"", "\"namespace\":\"" + ns + "\"");
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
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
        return send(base, method, path, body, CONTENT_TYPE, CONTENT_TYPE);
    }

    private static HttpResponse<String> send(String base, String method, String path, String body, String contentType, String accept) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", contentType)
                .header("Accept", accept)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }
}
