package dev.prefstream.schemas.serde;

import dev.prefstream.schemas.registry.RegisteredSchema;
import dev.prefstream.schemas.registry.RegistryErrorException;
import dev.prefstream.schemas.registry.RegistryUnavailableException;
import dev.prefstream.schemas.registry.SchemaRegistryClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serializer for Avro records (generated specific records or GenericRecords) in Confluent's wire format:
 * magic byte 0, schema id (big-endian int32), Avro binary. The subject comes from the configured
 * {@link SubjectNameStrategy}; the schema is registered on first use (auto.register.schemas=true), looked up
 * (false), or replaced by the subject's latest version (use.latest.version=true). Null values stay null (tombstones).
 * Usable by class name in producer properties (configure() reads {@link AvroSerdeConfig}). Thread-safe after configure().
 */
public class AvroSerializer<T> extends RegistryAvroSerdeBase implements Serializer<T> {

    private AvroSerdeConfig config;
    private final Map<Schema, DatumWriter<Object>> genericWriters = new ConcurrentHashMap<>();
    private final Map<Class<?>, DatumWriter<Object>> specificWriters = new ConcurrentHashMap<>();
    private final Map<String, Latest> latestBySubject = new ConcurrentHashMap<>();

    private record Latest(RegisteredSchema schema, Instant fetchedAt) {
    }

    /** For use by class name: configure() builds the registry client from schema.registry.url. */
    public AvroSerializer() {
    }

    /** With a given registry client (not closed by this serializer); configure() still reads the other settings. */
    public AvroSerializer(SchemaRegistryClient registry) {
        super(registry);
    }

    /** Ready to use: client, settings and whether it serializes keys. */
    public AvroSerializer(SchemaRegistryClient registry, AvroSerdeConfig config, boolean isKey) {
        configure(Objects.requireNonNull(registry, "registry"), config, isKey, false);
    }

    @Override
    void configured(AvroSerdeConfig config) {
        this.config = config;
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        if (config == null) {
            throw new IllegalStateException("AvroSerializer used before configure()");
        }
        if (!(data instanceof GenericContainer container)) {
            throw new SerdeException(SerdeException.Reason.UNSERIALIZABLE_VALUE, topic, null, null,
                    "topic " + topic + ": cannot serialize " + data.getClass().getName() + " with the Avro serializer: not an Avro record (GenericContainer)", null);
        }
        Schema schema = container.getSchema();
        String subject;
        try {
            subject = strategy.subject(topic, isKey, schema);
        } catch (IllegalArgumentException e) {
            throw new SerdeException(SerdeException.Reason.UNSERIALIZABLE_VALUE, topic, null, null, "topic " + topic + ": " + e.getMessage(), e);
        }
        int id;
        Schema writerSchema = schema;
        Object datum = data;
        String action = "register schema " + schema.getFullName();
        try {
            if (config.useLatestVersion()) {
                action = "fetch the latest version of subject " + subject;
                RegisteredSchema latest = latest(subject);
                id = latest.id();
                if (!latest.schema().equals(schema)) {
                    writerSchema = latest.schema();
                    datum = convert(topic, subject, id, data, schema, writerSchema);
                }
            } else if (config.autoRegisterSchemas()) {
                id = registry.register(subject, schema);
            } else {
                action = "look up schema " + schema.getFullName() + " (auto.register.schemas=false)";
                id = registry.lookup(subject, schema).id();
            }
        } catch (RegistryUnavailableException e) {
            throw RegistryFailures.unavailable(e, topic, subject, null, action);
        } catch (RegistryErrorException e) {
            throw RegistryFailures.refused(e, topic, subject, null, action);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        WireFormat.writeHeader(out, id);
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            writer(writerSchema, datum).write(datum, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerdeException(SerdeException.Reason.UNSERIALIZABLE_VALUE, topic, subject, id,
                    "topic " + topic + RegistryFailures.describe(subject, id) + ": " + schema.getFullName() + " does not encode: " + e, e);
        }
        return out.toByteArray();
    }

    private RegisteredSchema latest(String subject) {
        Latest cached = latestBySubject.get(subject);
        if (cached != null && config.latestCacheTtl().map(ttl -> cached.fetchedAt().plus(ttl).isAfter(Instant.now())).orElse(true)) {
            return cached.schema();
        }
        RegisteredSchema fresh = registry.latest(subject);
        latestBySubject.put(subject, new Latest(fresh, Instant.now()));
        return fresh;
    }

    /**
     * use.latest.version with a record whose own schema differs from the latest: write it with its own schema and
     * read it back with the latest as reader (Avro resolution), so fields are matched by name, not position.
     * Costs one extra encode/decode per record in that mode only.
     */
    private Object convert(String topic, String subject, int id, Object data, Schema own, Schema latest) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(256);
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writer(own, data).write(data, encoder);
            encoder.flush();
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(out.toByteArray(), null);
            return new GenericDatumReader<Object>(own, latest, GenericData.get()).read(null, decoder);
        } catch (IOException | RuntimeException e) {
            throw new SerdeException(SerdeException.Reason.SCHEMA_MISMATCH, topic, subject, id,
                    "topic " + topic + RegistryFailures.describe(subject, id) + ": record of " + own.getFullName()
                            + " cannot be written with the subject's latest schema (use.latest.version=true): " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private DatumWriter<Object> writer(Schema schema, Object datum) {
        if (datum instanceof SpecificRecord && ((SpecificRecord) datum).getSchema() == schema) {
            // the class's own model carries its logical-type conversions (timestamp-millis <-> Instant)
            return specificWriters.computeIfAbsent(datum.getClass(),
                    c -> (DatumWriter<Object>) (DatumWriter<?>) new SpecificDatumWriter<>(schema, SpecificData.getForClass(c)));
        }
        return genericWriters.computeIfAbsent(schema, s -> new GenericDatumWriter<>(s, genericData));
    }

}
