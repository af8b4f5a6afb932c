package dev.prefstream.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prefstream.schemas.avro.ModelCheckpoint;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.serde.AvroSerdeConfig;
import dev.prefstream.schemas.serde.AvroSerializer;
import dev.prefstream.schemas.serde.SerdeException;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP client against a scripted stub: request paths, media type, JSON bodies, auth header, caching, error mapping, failover. */
class HttpSchemaRegistryClientTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Schema PAIR = PreferencePair.getClassSchema();
    private static final String CT = "application/vnd.schemaregistry.v1+json";

    private RegistryStub stub;

    @BeforeEach
    void start() throws IOException {
        stub = RegistryStub.http();
    }

    @AfterEach
    void stop() {
        stub.close();
    }

    @Test
    void registerPostsTheSchemaAsJsonToTheEncodedSubjectAndCachesBothDirections() throws Exception {
        stub.on("POST", "/subjects/pairs%20v2%2Fvalue/versions", 200, "{\"id\":7}");
        HttpSchemaRegistryClient client = HttpSchemaRegistryClient.forUrl(stub.url());

        assertThat(client.register("pairs v2/value", PAIR)).isEqualTo(7);
        assertThat(client.register("pairs v2/value", PAIR)).isEqualTo(7);
        assertThat(client.getById(7)).isEqualTo(PAIR);

        assertThat(stub.requests).hasSize(1);
        RegistryStub.Request sent = stub.requests.get(0);
        assertThat(sent.method()).isEqualTo("POST");
        assertThat(sent.rawPath()).isEqualTo("/subjects/pairs%20v2%2Fvalue/versions");
        assertThat(sent.contentType()).isEqualTo(CT);
        assertThat(sent.accept()).startsWith(CT);
        assertThat(sent.authorization()).isNull();
        JsonNode body = JSON.readTree(sent.body());
        assertThat(body.fieldNames()).toIterable().containsExactly("schema");
        assertThat(new Schema.Parser().parse(body.get("schema").asText())).isEqualTo(PAIR);
    }

    @Test
    void getByIdFetchesOnceThenServesFromCache() {
        stub.on("GET", "/schemas/ids/12", 200, JSON.createObjectNode().put("schema", PAIR.toString()).toString());
        HttpSchemaRegistryClient client = HttpSchemaRegistryClient.forUrl(stub.url() + "/");

        assertThat(client.getById(12)).isEqualTo(PAIR);
        assertThat(client.getById(12)).isSameAs(client.getById(12));

        assertThat(stub.requests).extracting(RegistryStub.Request::method, RegistryStub.Request::rawPath)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("GET", "/schemas/ids/12"));
        assertThat(stub.requests.get(0).contentType()).isNull();
    }

    @Test
    void unknownIdsAreRememberedAndAFloodOfRandomIdsCostsABoundedNumberOfCalls() {
        String notFound = "{\"error_code\":40403,\"message\":\"Schema not found\"}";
        java.util.Random random = new java.util.Random(15);
        for (int i = 0; i < 500; i++) {
            stub.on("GET", "/schemas/ids/" + (1000 + i), 404, notFound);
        }
        stub.on("GET", "/schemas/ids/12", 200, JSON.createObjectNode().put("schema", PAIR.toString()).toString());
        HttpSchemaRegistryClient client = HttpSchemaRegistryClient.forUrl(stub.url());
        assertThat(client.getById(12)).isEqualTo(PAIR);

        int refused = 0;
        for (int i = 0; i < 500; i++) {
            int id = 1000 + random.nextInt(500);
            try {
                client.getById(id);
            } catch (RegistryErrorException e) {
                assertThat(e.isSchemaNotFound()).isTrue();
                refused++;
            }
            assertThat(client.getById(12)).as("the known id is still served").isEqualTo(PAIR);
        }

        assertThat(refused).isEqualTo(500);
        // 500 random unknown ids in well under a few seconds: at most 20 lookups a second reach the registry
        assertThat(stub.requests.size() - 1).isLessThan(500);
        assertThat(client.unknownIdsAnsweredWithoutCall()).isEqualTo(500 - (stub.requests.size() - 1));
    }

    @Test
    void latestLookupCompatibilityAndSubjects() {
        String registered = JSON.createObjectNode().put("subject", "preference-pairs-value").put("id", 3).put("version", 2)
                .put("schema", PAIR.toString()).toString();
        stub.on("GET", "/subjects/preference-pairs-value/versions/latest", 200, registered)
                .on("POST", "/subjects/preference-pairs-value", 200, registered)
                .on("POST", "/compatibility/subjects/preference-pairs-value/versions/latest", 200, "{\"is_compatible\":false}")
                .on("POST", "/compatibility/subjects/new-subject/versions/latest", 404, "{\"error_code\":40401,\"message\":\"Subject 'new-subject' not found.\"}")
                .on("GET", "/subjects", 200, "[\"preference-pairs-value\",\"model-registry-value\"]");
        HttpSchemaRegistryClient client = HttpSchemaRegistryClient.forUrl(stub.url());

        assertThat(client.latest("preference-pairs-value")).isEqualTo(new RegisteredSchema("preference-pairs-value", 3, 2, PAIR));
        assertThat(client.lookup("preference-pairs-value", PAIR)).isEqualTo(new RegisteredSchema("preference-pairs-value", 3, 2, PAIR));
        assertThat(client.lookup("preference-pairs-value", PAIR).id()).isEqualTo(3);
        assertThat(client.isCompatible("preference-pairs-value", ModelCheckpoint.getClassSchema())).isFalse();
        assertThat(client.isCompatible("new-subject", PAIR)).isTrue();
        assertThat(client.subjects()).containsExactly("preference-pairs-value", "model-registry-value");

        assertThat(stub.requests).extracting(r -> r.method() + " " + r.rawPath()).containsExactly(
                "GET /subjects/preference-pairs-value/versions/latest",
                "POST /subjects/preference-pairs-value",
                "POST /compatibility/subjects/preference-pairs-value/versions/latest",
                "POST /compatibility/subjects/new-subject/versions/latest",
                "GET /subjects");
        assertThat(stub.requests.get(2).contentType()).isEqualTo(CT);
    }

    @Test
    void basicAuthFromUserInfoAndFromTheUrl() {
        stub.on("GET", "/subjects", 200, "[]");
        Map<String, Object> userInfo = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, stub.url(),
                AvroSerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE, "USER_INFO", AvroSerdeConfig.BASIC_AUTH_USER_INFO, "prefstream:s3cr:et");
        SchemaRegistryClients.forUrl(new AvroSerdeConfig(userInfo)).subjects();

        Map<String, Object> inUrl = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, stub.url().replace("http://", "http://alice:pw%40x@"),
                AvroSerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE, "URL");
        SchemaRegistryClients.forUrl(new AvroSerdeConfig(inUrl)).subjects();

        assertThat(stub.requests).extracting(RegistryStub.Request::authorization).containsExactly(
                "Basic " + Base64.getEncoder().encodeToString("prefstream:s3cr:et".getBytes(StandardCharsets.UTF_8)),
                "Basic " + Base64.getEncoder().encodeToString("alice:pw@x".getBytes(StandardCharsets.UTF_8)));
        assertThat(new AvroSerdeConfig(userInfo).toString()).doesNotContain("s3cr");
    }

    @Test
    void clientErrorsKeepConfluentCodesAndServerErrorsAreRetriable() {
        stub.on("POST", "/subjects/s/versions", 409, "{\"error_code\":409,\"message\":\"Schema being registered is incompatible with an earlier schema\"}")
                .on("POST", "/subjects/bad/versions", 422, "{\"error_code\":42201,\"message\":\"Invalid schema\"}")
                .on("GET", "/schemas/ids/5", 404, "{\"error_code\":40403,\"message\":\"Schema 5 not found\"}")
                .on("GET", "/schemas/ids/6", 500, "{\"error_code\":50001,\"message\":\"Error in the backend data store\"}")
                .on("GET", "/subjects", 401, "Unauthorized");
        HttpSchemaRegistryClient client = HttpSchemaRegistryClient.forUrl(stub.url());

        assertThatThrownBy(() -> client.register("s", PAIR)).isInstanceOfSatisfying(RegistryErrorException.class, e -> {
            assertThat(e.isIncompatible()).isTrue();
            assertThat(e.httpStatus()).isEqualTo(409);
            assertThat(e.retriable()).isFalse();
        }).hasMessageContaining(stub.url()).hasMessageContaining("subject s").hasMessageContaining("incompatible");
        assertThatThrownBy(() -> client.register("bad", PAIR)).isInstanceOfSatisfying(RegistryErrorException.class,
                e -> assertThat(e.errorCode()).isEqualTo(42201)).hasMessageContaining("error_code 42201");
        assertThatThrownBy(() -> client.getById(5)).isInstanceOfSatisfying(RegistryErrorException.class,
                e -> assertThat(e.isSchemaNotFound()).isTrue()).hasMessageContaining("schema id 5");
        assertThatThrownBy(() -> client.getById(6)).isInstanceOfSatisfying(RegistryUnavailableException.class,
                e -> assertThat(e.retriable()).isTrue()).hasMessageContaining("HTTP 500").hasMessageContaining("50001");
        assertThatThrownBy(client::subjects).isInstanceOf(RegistryErrorException.class)
                .hasMessageContaining("HTTP 401").hasMessageContaining("basic.auth.user.info");
    }

    @Test
    void invalidSchemaSurfacesThroughTheSerializerAsInvalidSchema() {
        stub.on("POST", "/subjects/preference-pairs-value/versions", 422, "{\"error_code\":42201,\"message\":\"Invalid schema: bad default\"}");
        try (AvroSerializer<PreferencePair> serializer = new AvroSerializer<>()) {
            serializer.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, stub.url()), false);

            assertThatThrownBy(() -> serializer.serialize("preference-pairs", PreferencePair.newBuilder()
                    .setPairId("p").setPromptId("q").setPrompt(java.util.List.of()).setChosen("a").setRejected("b").setScoreMargin(1)
                    .setSource(dev.prefstream.schemas.avro.FeedbackSource.HUMAN).setKind(dev.prefstream.schemas.avro.JudgementKind.RATING)
                    .setEventIds(java.util.List.of()).setCreatedAt(java.time.Instant.EPOCH).build()))
                    .isInstanceOfSatisfying(SerdeException.class, e -> {
                        assertThat(e.reason()).isEqualTo(SerdeException.Reason.INVALID_SCHEMA);
                        assertThat(e.retriable()).isFalse();
                    })
                    .hasMessageStartingWith("topic preference-pairs, subject preference-pairs-value: schema rejected as invalid (42201)")
                    .hasMessageContaining("Invalid schema: bad default");
        }
    }

    @Test
    void unreachableUrlsAreSkippedInTurnAndNamedWhenAllFail() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        String dead = "http://127.0.0.1:" + closed;
        stub.on("GET", "/subjects", 200, "[\"a\"]");
        SchemaRegistryClient failover = SchemaRegistryClients.forUrl(AvroSerdeConfig.forUrl(dead + "," + stub.url()));
        assertThat(failover.subjects()).containsExactly("a");
        assertThat(failover.subjects()).containsExactly("a");
        assertThat(stub.requests).hasSize(2);

        SchemaRegistryClient allDead = SchemaRegistryClients.forUrl(AvroSerdeConfig.forUrl(dead));
        assertThatThrownBy(allDead::subjects).isInstanceOfSatisfying(RegistryUnavailableException.class, e -> {
            assertThat(e.retriable()).isTrue();
            assertThat(e.endpoint()).isEqualTo(dead);
        }).hasMessageStartingWith("schema registry unreachable (list subjects): " + dead + "/subjects: ConnectException");
    }

    /**
     * Confluent schema references (what @kafkajs/confluent-schema-registry, confluent-kafka-go/python and Confluent's
     * Java serde register for multi-file Avro): /schemas/ids/{id} answers the text with "references", whose names
     * only resolve once the referenced versions (and theirs) are parsed first. Before, getById failed with "Undefined
     * name" and ingest dead-lettered every such event as undeserializable. A diamond (two references needing the same
     * type) fetches and parses that type once.
     */
    @Test
    void getByIdResolvesSchemaReferencesDependenciesFirstEachOnce() throws Exception {
        String enumText = "{\"type\":\"enum\",\"name\":\"Source\",\"namespace\":\"x\",\"symbols\":[\"HUMAN\",\"AI_JUDGE\"]}";
        String message = "{\"type\":\"record\",\"name\":\"Message\",\"namespace\":\"x\",\"fields\":[{\"name\":\"text\",\"type\":\"string\"},"
                + "{\"name\":\"source\",\"type\":\"x.Source\"}]}";
        String event = "{\"type\":\"record\",\"name\":\"Event\",\"namespace\":\"x\",\"fields\":[{\"name\":\"source\",\"type\":\"Source\"},"
                + "{\"name\":\"prompt\",\"type\":{\"type\":\"array\",\"items\":\"Message\"}}]}";
        stub.on("GET", "/schemas/ids/9", 200, JSON.createObjectNode().put("schema", event)
                .set("references", JSON.readTree("[{\"name\":\"x.Source\",\"subject\":\"x.Source\",\"version\":1},"
                        + "{\"name\":\"x.Message\",\"subject\":\"the messages\",\"version\":2}]")).toString());
        stub.on("GET", "/subjects/x.Source/versions/1", 200, JSON.createObjectNode().put("subject", "x.Source").put("version", 1)
                .put("id", 3).put("schema", enumText).toString());
        stub.on("GET", "/subjects/the%20messages/versions/2", 200, JSON.createObjectNode().put("subject", "the messages").put("version", 2)
                .put("id", 4).put("schema", message)
                .set("references", JSON.readTree("[{\"name\":\"x.Source\",\"subject\":\"x.Source\",\"version\":1}]")).toString());
        HttpSchemaRegistryClient client = HttpSchemaRegistryClient.forUrl(stub.url());

        Schema resolved = client.getById(9);

        assertThat(resolved.getFullName()).isEqualTo("x.Event");
        assertThat(resolved.getField("source").schema().getEnumSymbols()).containsExactly("HUMAN", "AI_JUDGE");
        Schema item = resolved.getField("prompt").schema().getElementType();
        assertThat(item.getFullName()).isEqualTo("x.Message");
        assertThat(item.getField("source").schema()).isSameAs(resolved.getField("source").schema());
        assertThat(stub.requests).extracting(RegistryStub.Request::rawPath)
                .containsExactly("/schemas/ids/9", "/subjects/x.Source/versions/1", "/subjects/the%20messages/versions/2");
        assertThat(client.getById(9)).isSameAs(resolved);
        assertThat(stub.requests).hasSize(3);
    }

    /** A reference the registry no longer has is its 404 (not an "unparsable schema"), naming what was being resolved. */
    @Test
    void aMissingReferenceIsTheRegistrysAnswer() {
        stub.on("GET", "/schemas/ids/9", 200, "{\"schema\":\"{\\\"type\\\":\\\"array\\\",\\\"items\\\":\\\"x.Gone\\\"}\","
                + "\"references\":[{\"name\":\"x.Gone\",\"subject\":\"gone\",\"version\":1}]}");
        stub.on("GET", "/subjects/gone/versions/1", 404, "{\"error_code\":40401,\"message\":\"Subject 'gone' not found.\"}");
        HttpSchemaRegistryClient client = HttpSchemaRegistryClient.forUrl(stub.url());

        assertThatThrownBy(() -> client.getById(9)).isInstanceOfSatisfying(RegistryErrorException.class,
                e -> assertThat(e.errorCode()).isEqualTo(RegistryErrorException.SUBJECT_NOT_FOUND))
                .hasMessageContaining("fetch x.Gone (subject gone version 1), referenced by schema id 9");
    }

    @Test
    void mockUrlsShareOneRegistryPerScope() {
        SchemaRegistryClient a = SchemaRegistryClients.forUrl(AvroSerdeConfig.forUrl("mock://scope-a"));
        SchemaRegistryClient again = SchemaRegistryClients.forUrl(AvroSerdeConfig.forUrl("mock://scope-a"));
        SchemaRegistryClient b = SchemaRegistryClients.forUrl(AvroSerdeConfig.forUrl("mock://scope-b"));
        try {
            int id = a.register("x-value", PAIR);
            assertThat(again.getById(id)).isEqualTo(PAIR);
            assertThat(b.subjects()).isEmpty();
            assertThat(a.endpoint()).isEqualTo("mock://scope-a");
        } finally {
            InMemorySchemaRegistryClient.dropScope("scope-a");
            InMemorySchemaRegistryClient.dropScope("scope-b");
        }
    }
}
