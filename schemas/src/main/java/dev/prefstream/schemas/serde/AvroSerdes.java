package dev.prefstream.schemas.serde;

import dev.prefstream.schemas.registry.SchemaRegistryClient;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;

/** Ready-configured Avro serdes. */
public final class AvroSerdes {

    private AvroSerdes() {
    }

    /** A configured serde for the generated class {@code type}, building its registry client from {@code config}. */
    public static <T extends SpecificRecord> Serde<T> specific(Class<T> type, Map<String, ?> config, boolean isKey) {
        AvroSerde<T> serde = new AvroSerde<>(type);
        serde.configure(config, isKey);
        return serde;
    }

    /** A configured serde for {@code type} using {@code registry} (not closed by the serde). */
    public static <T extends SpecificRecord> Serde<T> specific(Class<T> type, SchemaRegistryClient registry, Map<String, ?> config, boolean isKey) {
        AvroSerde<T> serde = new AvroSerde<>(registry, type);
        serde.configure(config, isKey);
        return serde;
    }

    /** A configured serde for GenericRecords (the writer's schema is the reader's). */
    public static Serde<GenericRecord> generic(Map<String, ?> config, boolean isKey) {
        AvroSerde<GenericRecord> serde = new AvroSerde<>();
        serde.configure(config, isKey);
        return serde;
    }

    /** A configured GenericRecord serde using {@code registry} (not closed by the serde). */
    public static Serde<GenericRecord> generic(SchemaRegistryClient registry, Map<String, ?> config, boolean isKey) {
        AvroSerde<GenericRecord> serde = new AvroSerde<>(registry, null);
        serde.configure(config, isKey);
        return serde;
    }
}
