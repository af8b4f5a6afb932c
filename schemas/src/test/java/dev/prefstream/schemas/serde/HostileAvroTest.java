package dev.prefstream.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.registry.InMemorySchemaRegistryClient;
import dev.prefstream.schemas.testing.HostileRecords;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Records whose decoding would throw an {@link Error} (stack or memory) come out of the deserializer as a
 * {@link SerdeException} with reason UNDESERIALIZABLE, and the deserializer goes on decoding the next valid record.
 */
class HostileAvroTest {

    private static final String TOPIC = "preference-pairs";

    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    private final AvroSerdeConfig config = AvroSerdeConfig.forUrl("mock://unused");

    @ParameterizedTest
    @ValueSource(ints = {1, 100, 10_000, 200_000, 1_000_000})
    void deeplyNestedRecordUnderARecursiveWriterSchemaIsASerdeExceptionOrDecodesAndTheNextRecordStillDecodes(int depth) {
        AvroDeserializer<PreferencePair> specific = new AvroDeserializer<>(registry, PreferencePair.class, config, false);
        AvroDeserializer<GenericRecord> generic = new AvroDeserializer<>(registry, null, config, false);
        byte[] hostile = HostileRecords.nested(registry, TOPIC + "-value", AvroSamples.pair(), depth);
        byte[] valid;
        try (AvroSerializer<PreferencePair> serializer = new AvroSerializer<>(registry, config, false)) {
            valid = serializer.serialize(TOPIC, AvroSamples.pair());
        }

        for (AvroDeserializer<?> d : java.util.List.of(specific, generic)) {
            Object decoded;
            try {
                decoded = d.deserialize(TOPIC, hostile);
            } catch (SerdeException e) {
                assertThat(e.reason()).isEqualTo(SerdeException.Reason.UNDESERIALIZABLE);
                assertThat(e).hasMessageContaining("nests too deeply").hasMessageContaining("topic " + TOPIC);
                assertThat(depth).as("only deep records fail").isGreaterThanOrEqualTo(10_000);
                decoded = null;
            }
            if (depth >= 1_000_000) {
                assertThat(decoded).as("a million levels exhaust any usual thread stack (measured: 10,000 already do with the defaults)").isNull();
            }
            if (decoded != null) {
                assertThat(decoded.toString()).contains("pair-sha");
            }
            assertThat(d.deserialize(TOPIC, valid).toString()).contains("pair-sha");
        }
    }

    @Test
    void theGenericReaderOfAMillionDeepRecordFailsAsUndeserializableNotWithAnError() {
        AvroDeserializer<GenericRecord> generic = new AvroDeserializer<>(registry, null, config, false);
        byte[] hostile = HostileRecords.nested(registry, TOPIC + "-value", AvroSamples.pair(), 1_000_000);

        assertThatThrownBy(() -> generic.deserialize(TOPIC, hostile))
                .isInstanceOfSatisfying(SerdeException.class, e -> {
                    assertThat(e.reason()).isEqualTo(SerdeException.Reason.UNDESERIALIZABLE);
                    assertThat(e.retriable()).isFalse();
                    assertThat(e.schemaId()).isPresent();
                });
    }

    @Test
    void aHostileCollectionLengthIsASerdeException() {
        // writer schema: a record with an array of nulls (zero bytes per item), declaring 2^30 items in 5 bytes
        org.apache.avro.Schema writer = new org.apache.avro.Schema.Parser().parse(
                "{\"type\":\"record\",\"name\":\"Arr\",\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"null\"}}]}");
        int id = registry.register("lengths-value", writer);
        byte[] bytes = java.nio.ByteBuffer.allocate(11).put((byte) 0).putInt(id).put(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08, 0}).array();
        AvroDeserializer<GenericRecord> generic = new AvroDeserializer<>(registry, null, config, false);

        assertThatThrownBy(() -> generic.deserialize("lengths", bytes)).isInstanceOf(SerdeException.class);
    }
}
