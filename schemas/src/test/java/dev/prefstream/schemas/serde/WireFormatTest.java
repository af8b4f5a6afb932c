package dev.prefstream.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.registry.InMemorySchemaRegistryClient;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

class WireFormatTest {

    @Test
    void framesMagicByteThenBigEndianIdThenPlainAvroBinary() throws Exception {
        InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        // push the next id past one byte so that the byte order of the id is visible: 0x00 0x00 0x01 0x2d
        for (int i = 1; i <= 300; i++) {
            Schema filler = SchemaBuilder.record("Filler" + i).namespace("test").fields().requiredInt("x").endRecord();
            registry.register("filler-" + i, filler);
        }
        AvroSerializer<PreferencePair> serializer = new AvroSerializer<>(registry, AvroSerdeConfig.forUrl("mock://unused"), false);
        PreferencePair pair = AvroSamples.pair();

        byte[] framed = serializer.serialize("preference-pairs", pair);

        ByteArrayOutputStream expectedBody = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(expectedBody, null);
        new SpecificDatumWriter<>(PreferencePair.class).write(pair, encoder);
        encoder.flush();
        assertThat(registry.latest("preference-pairs-value").id()).isEqualTo(301);
        assertThat(Arrays.copyOfRange(framed, 0, 5)).containsExactly(0x00, 0x00, 0x00, 0x01, 0x2d);
        assertThat(Arrays.copyOfRange(framed, 5, framed.length)).isEqualTo(expectedBody.toByteArray());
        assertThat(framed).hasSize(5 + expectedBody.size());
    }

    @Test
    void readsTheIdBigEndianFromAnyFramedRecord() {
        byte[] record = {0x00, 0x01, 0x02, 0x03, 0x04, 0x42};
        assertThat(WireFormat.schemaId("t", record)).isEqualTo(0x01020304);
        byte[] maxId = {0x00, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        assertThat(WireFormat.schemaId("t", maxId)).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void nullValuesAreTombstonesBothWays() {
        InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        AvroSerdeConfig config = AvroSerdeConfig.forUrl("mock://unused");
        AvroSerializer<PreferencePair> serializer = new AvroSerializer<>(registry, config, false);
        AvroDeserializer<PreferencePair> deserializer = new AvroDeserializer<>(registry, PreferencePair.class, config, false);

        assertThat(serializer.serialize("preference-pairs", null)).isNull();
        assertThat(deserializer.deserialize("preference-pairs", null)).isNull();
        assertThat(registry.subjects()).isEmpty();
    }

    @Test
    void sameSchemaIsRegisteredOnceAndKeepsItsId() {
        InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        AvroSerializer<PreferencePair> serializer = new AvroSerializer<>(registry, new AvroSerdeConfig(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://x")), false);
        byte[] a = serializer.serialize("preference-pairs", AvroSamples.pair());
        byte[] b = serializer.serialize("other-topic", AvroSamples.pair());

        assertThat(WireFormat.schemaId("preference-pairs", a)).isEqualTo(1);
        // same schema under another subject: Confluent gives the same global id
        assertThat(WireFormat.schemaId("other-topic", b)).isEqualTo(1);
        assertThat(registry.subjects()).containsExactly("preference-pairs-value", "other-topic-value");
    }
}
