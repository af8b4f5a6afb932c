package dev.prefstream.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.registry.InMemorySchemaRegistryClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

/** Every serde failure provoked; each message must name the topic, and the subject and id where they are known. */
class SerdeErrorsTest {

    private static final String TOPIC = "preference-events";

    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    private final AvroSerdeConfig config = AvroSerdeConfig.forUrl("mock://unused");

    @Test
    void unknownMagicByteIsFatalAndNamesTopicAndByte() {
        AvroDeserializer<PreferenceEvent> deserializer = new AvroDeserializer<>(registry, PreferenceEvent.class, config, false);
        byte[] json = "{\"event_id\":\"e1\"}".getBytes();

        assertThatThrownBy(() -> deserializer.deserialize(TOPIC, json))
                .isInstanceOf(SerializationException.class)
                .isInstanceOfSatisfying(SerdeException.class, e -> {
                    assertThat(e.reason()).isEqualTo(SerdeException.Reason.NOT_WIRE_FORMAT);
                    assertThat(e.retriable()).isFalse();
                    assertThat(e.topic()).isEqualTo(TOPIC);
                })
                .hasMessage("topic preference-events: unknown magic byte 0x7b (expected 0x00, Confluent wire format) in a record of 17 bytes; "
                        + "was it written without the schema-registry serializer?");
    }

    @Test
    void recordShorterThanTheHeaderIsNotWireFormat() {
        AvroDeserializer<PreferenceEvent> deserializer = new AvroDeserializer<>(registry, PreferenceEvent.class, config, false);

        assertThatThrownBy(() -> deserializer.deserialize(TOPIC, new byte[] {0, 0, 1}))
                .isInstanceOfSatisfying(SerdeException.class, e -> assertThat(e.reason()).isEqualTo(SerdeException.Reason.NOT_WIRE_FORMAT))
                .hasMessageContaining("topic preference-events")
                .hasMessageContaining("3 bytes");
    }

    @Test
    void unknownSchemaIdNamesTopicSubjectAndId() {
        AvroDeserializer<PreferenceEvent> deserializer = new AvroDeserializer<>(registry, PreferenceEvent.class, config, false);
        byte[] framed = {0, 0, 0, 0x27, 0x0f, 2, 4, 6};

        assertThatThrownBy(() -> deserializer.deserialize(TOPIC, framed))
                .isInstanceOfSatisfying(SerdeException.class, e -> {
                    assertThat(e.reason()).isEqualTo(SerdeException.Reason.UNKNOWN_SCHEMA_ID);
                    assertThat(e.retriable()).isFalse();
                    assertThat(e.schemaId()).contains(9999);
                    assertThat(e.subject()).contains("preference-events-value");
                })
                .hasMessageStartingWith("topic preference-events, subject preference-events-value, schema id 9999: unknown schema id 9999")
                .hasMessageContaining("40403");
    }

    @Test
    void unreachableRegistryIsRetriableAndNamesUrlAndTopic() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        String url = "http://127.0.0.1:" + closedPort;
        Map<String, Object> props = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, url, AvroSerdeConfig.HTTP_CONNECT_TIMEOUT_MS, 2000);
        try (AvroSerializer<PreferenceEvent> serializer = new AvroSerializer<>();
             AvroDeserializer<PreferenceEvent> deserializer = new AvroDeserializer<>(PreferenceEvent.class)) {
            serializer.configure(props, false);
            deserializer.configure(props, false);

            assertThatThrownBy(() -> serializer.serialize(TOPIC, AvroSamples.comparisonEvent()))
                    .isInstanceOfSatisfying(SerdeException.class, e -> {
                        assertThat(e.reason()).isEqualTo(SerdeException.Reason.REGISTRY_UNREACHABLE);
                        assertThat(e.retriable()).isTrue();
                    })
                    .hasMessageStartingWith("topic preference-events, subject preference-events-value: schema registry " + url + " unreachable")
                    .hasMessageContaining("retriable");
            assertThatThrownBy(() -> deserializer.deserialize(TOPIC, new byte[] {0, 0, 0, 0, 1, 0}))
                    .isInstanceOfSatisfying(SerdeException.class, e -> {
                        assertThat(e.reason()).isEqualTo(SerdeException.Reason.REGISTRY_UNREACHABLE);
                        assertThat(e.schemaId()).contains(1);
                    })
                    .hasMessageStartingWith("topic preference-events, subject preference-events-value, schema id 1: schema registry " + url + " unreachable");
        }
    }

    @Test
    void incompatibleSchemaIsFatalAndNamesTopicAndSubject() {
        Schema v1 = SchemaBuilder.record("Thing").namespace("test").fields().requiredString("name").endRecord();
        Schema v2 = SchemaBuilder.record("Thing").namespace("test").fields().requiredString("name").requiredInt("size").endRecord();
        registry.register("things-value", v1);
        GenericRecord record = new GenericRecordBuilder(v2).set("name", "x").set("size", 3).build();

        assertThatThrownBy(() -> new AvroSerializer<GenericRecord>(registry, config, false).serialize("things", record))
                .isInstanceOfSatisfying(SerdeException.class, e -> {
                    assertThat(e.reason()).isEqualTo(SerdeException.Reason.INCOMPATIBLE_SCHEMA);
                    assertThat(e.retriable()).isFalse();
                })
                .hasMessageStartingWith("topic things, subject things-value: schema rejected as incompatible with subject things-value (409)")
                .hasMessageContaining("size");
    }

    @Test
    void unregisteredSchemaWithAutoRegisterOffIsReported() {
        AvroSerdeConfig noAutoRegister = new AvroSerdeConfig(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://unused",
                AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, false));
        AvroSerializer<PreferencePair> serializer = new AvroSerializer<>(registry, noAutoRegister, false);

        assertThatThrownBy(() -> serializer.serialize("preference-pairs", AvroSamples.pair()))
                .isInstanceOfSatisfying(SerdeException.class, e -> assertThat(e.reason()).isEqualTo(SerdeException.Reason.SCHEMA_NOT_REGISTERED))
                .hasMessageContaining("topic preference-pairs, subject preference-pairs-value")
                .hasMessageContaining("40401");
        assertThat(registry.subjects()).isEmpty();

        registry.register("preference-pairs-value", PreferencePair.getClassSchema());
        byte[] bytes = serializer.serialize("preference-pairs", AvroSamples.pair());
        assertThat(WireFormat.schemaId("preference-pairs", bytes)).isEqualTo(1);
    }

    @Test
    void corruptAvroBodyIsMalformed() {
        int id = registry.register("preference-pairs-value", PreferencePair.getClassSchema());
        AvroDeserializer<PreferencePair> deserializer = new AvroDeserializer<>(registry, PreferencePair.class, config, false);
        byte[] truncated = new AvroSerializer<PreferencePair>(registry, config, false).serialize("preference-pairs", AvroSamples.pair());
        byte[] cut = java.util.Arrays.copyOf(truncated, 20);

        assertThatThrownBy(() -> deserializer.deserialize("preference-pairs", cut))
                .isInstanceOfSatisfying(SerdeException.class, e -> {
                    assertThat(e.reason()).isEqualTo(SerdeException.Reason.MALFORMED_AVRO);
                    assertThat(e.schemaId()).contains(id);
                })
                .hasMessageStartingWith("topic preference-pairs, subject preference-pairs-value, schema id " + id + ": Avro body of 15 bytes does not decode");
    }

    @Test
    void writerSchemaThatTheReaderCannotResolveIsASchemaMismatch() {
        // a PreferencePair written by someone else's schema that lacks prompt_id, which the reader needs and has no default for
        Schema foreign = SchemaBuilder.record("PreferencePair").namespace("dev.prefstream.schemas.avro").fields()
                .requiredString("pair_id").endRecord();
        AvroSerializer<GenericRecord> writer = new AvroSerializer<>(registry, config, false);
        byte[] bytes = writer.serialize("pairs-elsewhere", new GenericRecordBuilder(foreign).set("pair_id", "p").build());
        AvroDeserializer<PreferencePair> deserializer = new AvroDeserializer<>(registry, PreferencePair.class, config, false);

        assertThatThrownBy(() -> deserializer.deserialize("pairs-elsewhere", bytes))
                .isInstanceOfSatisfying(SerdeException.class, e -> assertThat(e.reason()).isEqualTo(SerdeException.Reason.SCHEMA_MISMATCH))
                .hasMessageStartingWith("topic pairs-elsewhere, subject pairs-elsewhere-value, schema id 1: writer schema dev.prefstream.schemas.avro.PreferencePair cannot be read as dev.prefstream.schemas.avro.PreferencePair")
                .hasMessageContaining("missing required field");
    }

    @Test
    void specificReaderWithoutAGeneratedClassIsUnknownType() {
        Schema foreign = SchemaBuilder.record("Unheard").namespace("com.example").fields().requiredString("x").endRecord();
        byte[] bytes = new AvroSerializer<GenericRecord>(registry, config, false).serialize("t", new GenericRecordBuilder(foreign).set("x", "y").build());
        AvroSerdeConfig specific = new AvroSerdeConfig(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://unused", AvroSerdeConfig.SPECIFIC_AVRO_READER, true));
        AvroDeserializer<Object> deserializer = new AvroDeserializer<>(registry, null, specific, false);

        assertThatThrownBy(() -> deserializer.deserialize("t", bytes))
                .isInstanceOfSatisfying(SerdeException.class, e -> assertThat(e.reason()).isEqualTo(SerdeException.Reason.UNKNOWN_TYPE))
                .hasMessageContaining("com.example.Unheard");
    }

    @Test
    void nonAvroValuesAndUnencodableRecordsAreRefusedBeforeRegistering() {
        AvroSerializer<Object> serializer = new AvroSerializer<>(registry, config, false);
        assertThatThrownBy(() -> serializer.serialize(TOPIC, "just a string"))
                .isInstanceOfSatisfying(SerdeException.class, e -> assertThat(e.reason()).isEqualTo(SerdeException.Reason.UNSERIALIZABLE_VALUE))
                .hasMessageContaining("java.lang.String");

        PreferencePair broken = AvroSamples.pair();
        broken.setChosen(null);
        assertThatThrownBy(() -> serializer.serialize("preference-pairs", broken))
                .isInstanceOfSatisfying(SerdeException.class, e -> assertThat(e.reason()).isEqualTo(SerdeException.Reason.UNSERIALIZABLE_VALUE))
                .hasMessageContaining("topic preference-pairs, subject preference-pairs-value, schema id 1")
                .hasMessageContaining("chosen");
    }
}
