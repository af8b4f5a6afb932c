package dev.prefstream.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.registry.InMemorySchemaRegistryClient;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The evolution rule (every change BACKWARD compatible) checked through the serde and the registry: records written
 * with the previous PreferencePair schema (no weight, no tenant) are read by the current class with the defaults
 * filled in, and a reader still on the previous schema reads records written with the current one.
 */
class SchemaEvolutionTest {

    private static final String TOPIC = "preference-pairs";

    private InMemorySchemaRegistryClient registry;
    private AvroSerdeConfig config;
    private Schema previous;

    @BeforeEach
    void setUp() throws IOException {
        registry = new InMemorySchemaRegistryClient();
        config = AvroSerdeConfig.forUrl("mock://unused");
        try (InputStream in = getClass().getResourceAsStream("/avro-previous/PreferencePair-v1.avsc")) {
            previous = new Schema.Parser().parse(in);
        }
    }

    @Test
    void currentSchemaIsBackwardCompatibleWithThePreviousOne() {
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(PreferencePair.getClassSchema(), previous).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        assertThat(previous.getField("weight")).isNull();
        assertThat(previous.getField("tenant")).isNull();
    }

    @Test
    void currentReaderReadsPreviousDataWithDefaultsFilled() {
        AvroSerializer<GenericRecord> oldWriter = new AvroSerializer<>(registry, config, false);
        byte[] oldBytes = oldWriter.serialize(TOPIC, previousPair());

        // the registry accepts the current schema after the previous one (BACKWARD) and the new id differs
        AvroSerializer<PreferencePair> newWriter = new AvroSerializer<>(registry, config, false);
        byte[] newBytes = newWriter.serialize(TOPIC, AvroSamples.pair());
        assertThat(WireFormat.schemaId(TOPIC, newBytes)).isNotEqualTo(WireFormat.schemaId(TOPIC, oldBytes));
        assertThat(registry.latest(TOPIC + "-value").version()).isEqualTo(2);

        AvroDeserializer<PreferencePair> reader = new AvroDeserializer<>(registry, PreferencePair.class, config, false);
        PreferencePair read = reader.deserialize(TOPIC, oldBytes);

        assertThat(read.getWeight()).isEqualTo(1.0);
        assertThat(read.getTenant()).isNull();
        assertThat(read.getPairId()).isEqualTo("pair-old");
        assertThat(read.getPrompt()).containsExactly(new ChatMessage("user", "2+2?"));
        assertThat(read.getCreatedAt()).isEqualTo(AvroSamples.AT);
    }

    @Test
    void previousReaderReadsCurrentData() {
        AvroSerializer<PreferencePair> newWriter = new AvroSerializer<>(registry, config, false);
        byte[] newBytes = newWriter.serialize(TOPIC, AvroSamples.pair());

        AvroDeserializer<GenericRecord> oldReader = AvroDeserializer.withReaderSchema(registry, previous, config, false);
        GenericRecord read = oldReader.deserialize(TOPIC, newBytes);

        assertThat(read.getSchema()).isEqualTo(previous);
        assertThat(read.get("pair_id")).hasToString("pair-sha");
        assertThat(read.get("chosen")).hasToString("Paris.");
        assertThat(read.get("score_margin")).isEqualTo(1.0);
        assertThat(read.get("created_at")).isEqualTo(AvroSamples.AT.toEpochMilli());
        assertThat(read.hasField("weight")).isFalse();
    }

    @Test
    void aChangeWithoutDefaultIsRefusedByTheRegistry() {
        new AvroSerializer<PreferencePair>(registry, config, false).serialize(TOPIC, AvroSamples.pair());
        Schema breaking = new Schema.Parser().parse(PreferencePair.getClassSchema().toString()
                .replace("{\"name\":\"created_at\"", "{\"name\":\"reviewer\",\"type\":\"string\"},{\"name\":\"created_at\""));
        GenericRecord record = new GenericRecordBuilder(breaking)
                .set("pair_id", "p").set("prompt_id", "q").set("prompt", List.of()).set("chosen", "a").set("rejected", "b")
                .set("score_margin", 1.0).set("source", new GenericData.EnumSymbol(breaking.getField("source").schema(), "HUMAN"))
                .set("kind", new GenericData.EnumSymbol(breaking.getField("kind").schema(), "RATING"))
                .set("event_ids", List.of()).set("reviewer", "alice").set("created_at", 0L).build();

        assertThatThrownBy(() -> new AvroSerializer<GenericRecord>(registry, config, false).serialize(TOPIC, record))
                .isInstanceOfSatisfying(SerdeException.class, e -> {
                    assertThat(e.reason()).isEqualTo(SerdeException.Reason.INCOMPATIBLE_SCHEMA);
                    assertThat(e.retriable()).isFalse();
                    assertThat(e.subject()).contains("preference-pairs-value");
                })
                .hasMessageContaining("topic preference-pairs")
                .hasMessageContaining("subject preference-pairs-value")
                .hasMessageContaining("409")
                .hasMessageContaining("reviewer");
    }

    private GenericRecord previousPair() {
        Schema chat = previous.getField("prompt").schema().getElementType();
        return new GenericRecordBuilder(previous)
                .set("pair_id", "pair-old").set("prompt_id", "prompt-old")
                .set("prompt", List.of(new GenericRecordBuilder(chat).set("role", "user").set("content", "2+2?").build()))
                .set("chosen", "4").set("rejected", "5").set("score_margin", 1.0)
                .set("source", new GenericData.EnumSymbol(previous.getField("source").schema(), "HUMAN"))
                .set("kind", new GenericData.EnumSymbol(previous.getField("kind").schema(), "COMPARISON"))
                .set("event_ids", List.of("e-old")).set("created_at", AvroSamples.AT.toEpochMilli())
                .build();
    }
}
