package dev.prefstream.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import dev.prefstream.schemas.avro.ModelCheckpoint;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.registry.InMemorySchemaRegistryClient;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every record type through the serde and the shared in-memory registry (mock://), as specific and as generic records. */
class RoundTripTest {

    private static final String SCOPE = "round-trip";
    private static final Map<String, Object> CONFIG = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE);

    @AfterEach
    void dropRegistry() {
        InMemorySchemaRegistryClient.dropScope(SCOPE);
    }

    static Stream<Arguments> records() {
        return Stream.of(
                Arguments.of("comparison event", AvroSamples.comparisonEvent(), "preference-events"),
                Arguments.of("ranking event", AvroSamples.rankingEvent(), "preference-events"),
                Arguments.of("rating event", AvroSamples.ratingEvent(), "preference-events"),
                Arguments.of("feedback event", AvroSamples.feedbackEvent(), "preference-events"),
                Arguments.of("pair", AvroSamples.pair(), "preference-pairs"),
                Arguments.of("checkpoint", AvroSamples.checkpoint(), "model-registry"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("records")
    @SuppressWarnings("unchecked")
    <T extends SpecificRecord> void specificRecordComesBackEqual(String name, T record, String topic) {
        try (Serde<T> serde = AvroSerdes.specific((Class<T>) record.getClass(), CONFIG, false)) {
            byte[] bytes = serde.serializer().serialize(topic, record);
            T back = serde.deserializer().deserialize(topic, bytes);

            assertThat(back).isInstanceOf(record.getClass()).isEqualTo(record);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("records")
    <T extends SpecificRecord> void genericRecordsInteroperateWithSpecificOnes(String name, T record, String topic) {
        try (Serde<GenericRecord> generic = AvroSerdes.generic(CONFIG, false);
             Serde<Object> byWriterName = new AvroSerde<>()) {
            byWriterName.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE, AvroSerdeConfig.SPECIFIC_AVRO_READER, true), false);

            // specific bytes read as a generic record: same schema, same field values
            byte[] specificBytes = byWriterName.serializer().serialize(topic, record);
            GenericRecord asGeneric = generic.deserializer().deserialize(topic, specificBytes);
            assertThat(asGeneric.getSchema()).isEqualTo(record.getSchema());
            assertThat(GenericData.get().toString(asGeneric)).isEqualTo(GenericData.get().toString(toGeneric(record)));

            // generic bytes read back as the generated class named by the writer schema (specific.avro.reader=true)
            byte[] genericBytes = generic.serializer().serialize(topic, asGeneric);
            // same schema, so same id (map entries may be written in another order, so the bodies are not compared byte for byte)
            assertThat(WireFormat.schemaId(topic, genericBytes)).isEqualTo(WireFormat.schemaId(topic, specificBytes));
            assertThat(byWriterName.deserializer().deserialize(topic, genericBytes)).isEqualTo(record);
        }
    }

    @Test
    void recordsOfVeryDifferentSizesInTurnEncodeTheSameAsAlone() {
        // the serializer encodes into a per-thread buffer it keeps between records (and lets go once it grew past
        // 1 MiB): a record after a larger one must not pick up any of the larger one's bytes
        PreferencePair small = AvroSamples.pair();
        PreferencePair mid = PreferencePair.newBuilder(small).setChosen("m".repeat(10_000)).build();
        PreferencePair huge = PreferencePair.newBuilder(small).setChosen("h".repeat(3 << 20)).build();
        try (Serde<PreferencePair> serde = AvroSerdes.specific(PreferencePair.class, CONFIG, false)) {
            byte[] smallAlone = serde.serializer().serialize("preference-pairs", small);
            for (PreferencePair p : List.of(mid, small, huge, small, mid, huge, mid)) {
                byte[] bytes = serde.serializer().serialize("preference-pairs", p);
                assertThat(serde.deserializer().deserialize("preference-pairs", bytes)).isEqualTo(p);
                if (p == small) {
                    assertThat(bytes).isEqualTo(smallAlone);
                }
            }
        }
    }

    @Test
    void genericRecordsCarryRawTimestampsUnlessLogicalConvertersAreOn() {
        PreferencePair pair = AvroSamples.pair();
        byte[] bytes;
        try (Serde<PreferencePair> serde = AvroSerdes.specific(PreferencePair.class, CONFIG, false)) {
            bytes = serde.serializer().serialize("preference-pairs", pair);
        }
        try (Serde<GenericRecord> raw = AvroSerdes.generic(CONFIG, false);
             Serde<GenericRecord> converted = AvroSerdes.generic(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE,
                     AvroSerdeConfig.AVRO_USE_LOGICAL_TYPE_CONVERTERS, "true"), false)) {
            assertThat(raw.deserializer().deserialize("preference-pairs", bytes).get("created_at")).isEqualTo(AvroSamples.AT.toEpochMilli());
            assertThat(converted.deserializer().deserialize("preference-pairs", bytes).get("created_at")).isEqualTo(AvroSamples.AT);
        }
    }

    @Test
    void deserializerByClassNameReadsTheConfiguredValueType() {
        PreferenceEvent event = AvroSamples.ratingEvent();
        try (AvroSerializer<PreferenceEvent> serializer = new AvroSerializer<>();
             AvroDeserializer<PreferenceEvent> deserializer = new AvroDeserializer<>()) {
            serializer.configure(CONFIG, false);
            deserializer.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE,
                    AvroSerdeConfig.SPECIFIC_AVRO_VALUE_TYPE, PreferenceEvent.class.getName()), false);

            PreferenceEvent back = deserializer.deserialize("preference-events", serializer.serialize("preference-events", event));

            assertThat(back).isEqualTo(event);
            assertThat(back.getOccurredAt()).isEqualTo(Instant.parse("2026-11-22T12:34:56.789Z"));
        }
    }

    @Test
    void keysUseTheKeySubjectAndKeyTypeConfig() {
        ModelCheckpoint key = AvroSamples.checkpoint();
        try (AvroSerializer<ModelCheckpoint> serializer = new AvroSerializer<>();
             AvroDeserializer<ModelCheckpoint> deserializer = new AvroDeserializer<>()) {
            serializer.configure(CONFIG, true);
            deserializer.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE,
                    AvroSerdeConfig.SPECIFIC_AVRO_KEY_TYPE, ModelCheckpoint.class), true);

            assertThat(deserializer.deserialize("model-registry", serializer.serialize("model-registry", key))).isEqualTo(key);
            assertThat(serializer.registry().subjects()).containsExactly("model-registry-key");
        }
    }

    private static GenericRecord toGeneric(SpecificRecord record) {
        // deep copy through GenericData keeps nested values as they are; compare via toString (Instant vs long differ)
        try (Serde<GenericRecord> generic = AvroSerdes.generic(CONFIG, false);
             Serde<Object> any = new AvroSerde<>()) {
            any.configure(CONFIG, false);
            return generic.deserializer().deserialize("copy", any.serializer().serialize("copy", record));
        }
    }

    @Test
    void everyJudgementKindSurvivesAsItsOwnUnionBranch() {
        try (Serde<PreferenceEvent> serde = AvroSerdes.specific(PreferenceEvent.class, CONFIG, false)) {
            List<PreferenceEvent> events = List.of(AvroSamples.comparisonEvent(), AvroSamples.rankingEvent(), AvroSamples.ratingEvent(), AvroSamples.feedbackEvent());
            List<String> kinds = events.stream()
                    .map(e -> serde.deserializer().deserialize("preference-events", serde.serializer().serialize("preference-events", e)))
                    .map(e -> e.getJudgement().getClass().getSimpleName())
                    .toList();
            assertThat(kinds).containsExactly("Comparison", "Ranking", "Rating", "Feedback");
        }
    }
}
