package dev.prefstream.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.registry.InMemorySchemaRegistryClient;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

/**
 * use.latest.version=true: a producer built with a newer class writes with the subject's latest registered schema
 * (here the previous PreferencePair), converting by field name, and registers nothing.
 */
class UseLatestVersionTest {

    @Test
    void writesWithTheLatestRegisteredSchemaInsteadOfItsOwn() throws IOException {
        Schema previous;
        try (InputStream in = getClass().getResourceAsStream("/avro-previous/PreferencePair-v1.avsc")) {
            previous = new Schema.Parser().parse(in);
        }
        InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        int previousId = registry.register("preference-pairs-value", previous);
        AvroSerdeConfig config = new AvroSerdeConfig(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://unused",
                AvroSerdeConfig.USE_LATEST_VERSION, true, AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, false));
        AvroSerializer<PreferencePair> serializer = new AvroSerializer<>(registry, config, false);

        byte[] bytes = serializer.serialize("preference-pairs", AvroSamples.pair());

        assertThat(WireFormat.schemaId("preference-pairs", bytes)).isEqualTo(previousId);
        assertThat(registry.latest("preference-pairs-value").version()).isEqualTo(1);
        GenericRecord asWritten = new AvroDeserializer<GenericRecord>(registry, null, config, false).deserialize("preference-pairs", bytes);
        assertThat(asWritten.getSchema()).isEqualTo(previous);
        assertThat(asWritten.get("chosen")).hasToString("Paris.");
        assertThat(asWritten.get("created_at")).isEqualTo(AvroSamples.AT.toEpochMilli());
        // the current class reads it back; weight and tenant were not in the written schema, so they take their defaults
        PreferencePair back = new AvroDeserializer<>(registry, PreferencePair.class, config, false).deserialize("preference-pairs", bytes);
        assertThat(back.getWeight()).isEqualTo(1.0);
        assertThat(back.getTenant()).isNull();
        assertThat(back.getPrompt()).isEqualTo(AvroSamples.pair().getPrompt());
    }
}
