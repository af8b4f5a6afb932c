package dev.prefstream.schemas.serde;

import dev.prefstream.schemas.registry.SchemaRegistryClient;
import dev.prefstream.schemas.registry.SchemaRegistryClients;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka (Streams) Serde for Avro in Confluent's wire format: an {@link AvroSerializer} and an
 * {@link AvroDeserializer} sharing one registry client and its caches. With no target class it reads what the config
 * says (specific.avro.*.type, specific.avro.reader) or GenericRecords, so it also works as {@code default.value.serde}
 * by class name. See {@link AvroSerdes} for ready-configured instances.
 */
public class AvroSerde<T> implements Serde<T> {

    private final AvroSerializer<T> serializer;
    private final AvroDeserializer<T> deserializer;
    private SchemaRegistryClient registry;

    /** For use by class name; configure() decides everything. */
    public AvroSerde() {
        this(null, null);
    }

    /** Reads and writes {@code type}; configure() builds the registry client. */
    public AvroSerde(Class<T> type) {
        this(null, type);
    }

    /** With a given registry client (not closed by the serde); {@code type} null means generic or as configured. */
    public AvroSerde(SchemaRegistryClient registry, Class<T> type) {
        this.registry = registry;
        this.serializer = new AvroSerializer<>();
        this.deserializer = type == null ? new AvroDeserializer<>() : new AvroDeserializer<>(type);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        AvroSerdeConfig config = new AvroSerdeConfig(configs);
        boolean owns = registry == null;
        if (owns) {
            registry = SchemaRegistryClients.forUrl(config);
        }
        serializer.configure(registry, config, isKey, owns);
        deserializer.configure(registry, config, isKey, false);
    }

    @Override
    public Serializer<T> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<T> deserializer() {
        return deserializer;
    }

    /** The registry client shared by both halves (null before configure() unless one was given). */
    public SchemaRegistryClient registry() {
        return registry;
    }

    @Override
    public void close() {
        serializer.close();
        deserializer.close();
    }
}
