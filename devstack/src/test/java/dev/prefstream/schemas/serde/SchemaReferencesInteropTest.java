package dev.prefstream.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.registry.SchemaRegistryClient;
import dev.prefstream.schemas.registry.SchemaRegistryClients;
import dev.prefstream.devstack.testing.KafkaClusterExtension;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Events written the way a non-Java Confluent client writes them (found with @kafkajs/confluent-schema-registry, see
 * interop/): the repo's .avsc files registered as they are, ChatMessage and FeedbackSource in subjects of their own and
 * PreferenceEvent under preference-events-value with Confluent schema references to them. Our deserializer, against
 * the real embedded registry, must decode such records; it used to fail on "Undefined name" and ingest dead-lettered
 * every one as undeserializable.
 */
class SchemaReferencesInteropTest {

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension(1, Map.of());

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The schemas module's .avsc files (surefire runs in this module's directory). */
    private static final Path AVRO = Path.of("../schemas/src/main/avro");
    private static final String NS = "dev.prefstream.schemas.avro.";

    @Test
    void eventsWrittenWithAReferencingSchemaDecode() throws Exception {
        register(NS + "ChatMessage", Files.readString(AVRO.resolve("ChatMessage.avsc")), List.of());
        register(NS + "FeedbackSource", Files.readString(AVRO.resolve("FeedbackSource.avsc")), List.of());
        int id = register("preference-events-value", Files.readString(AVRO.resolve("PreferenceEvent.avsc")), List.of(
                Map.of("name", NS + "ChatMessage", "subject", NS + "ChatMessage", "version", 1),
                Map.of("name", NS + "FeedbackSource", "subject", NS + "FeedbackSource", "version", 1)));
        // what the external writer's schema is: the three files parsed together
        Schema.Parser parser = new Schema.Parser();
        parser.parse(AVRO.resolve("ChatMessage.avsc").toFile());
        parser.parse(AVRO.resolve("FeedbackSource.avsc").toFile());
        Schema writer = parser.parse(AVRO.resolve("PreferenceEvent.avsc").toFile());
        PreferenceEvent sent = AvroSamples.ratingEvent();
        byte[] bytes = encode(id, writer, sent);

        AvroSerdeConfig config = AvroSerdeConfig.forUrl(KAFKA.registryUrl());
        SchemaRegistryClient registry = SchemaRegistryClients.forUrl(config);
        PreferenceEvent received = new AvroDeserializer<>(registry, PreferenceEvent.class, config, false).deserialize("preference-events", bytes);
        assertThat(received).isEqualTo(sent);

        GenericRecord generic = new AvroDeserializer<GenericRecord>(SchemaRegistryClients.forUrl(config), null, config, false)
                .deserialize("preference-events", bytes);
        assertThat(generic.getSchema()).isEqualTo(writer);
        assertThat(generic.get("source")).hasToString("HUMAN");
        assertThat(((List<?>) generic.get("prompt"))).hasSize(AvroSamples.prompt().size());
    }

    private static byte[] encode(int id, Schema writer, PreferenceEvent event) throws Exception {
        AvroTrust.ensureTrusted(); // the specific writer loads our generated classes by name
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WireFormat.writeHeader(out, id);
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<PreferenceEvent>(writer).write(event, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    /** POST /subjects/{subject}/versions with references, as the JS/Python/Go clients send it; returns the id. */
    private static int register(String subject, String schema, List<Map<String, Object>> references) throws Exception {
        ObjectNode body = JSON.createObjectNode().put("schema", schema);
        body.set("references", JSON.valueToTree(references));
        HttpResponse<String> answer = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(KAFKA.registryUrl() + "/subjects/" + subject + "/versions"))
                        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return JSON.readTree(answer.body()).get("id").asInt();
    }
}
