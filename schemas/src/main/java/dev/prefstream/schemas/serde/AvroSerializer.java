package dev.prefstream.schemas.serde;

import dev.prefstream.schemas.registry.RegisteredSchema;
import dev.prefstream.schemas.registry.RegistryErrorException;
import dev.prefstream.schemas.registry.RegistryUnavailableException;
import dev.prefstream.schemas.registry.SchemaRegistryClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.Arrays;
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
    private boolean useLatestVersion;
    private boolean autoRegisterSchemas;
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
        // read once: AbstractConfig's getters look the key up and mark it used on every call
        this.useLatestVersion = config.useLatestVersion();
        this.autoRegisterSchemas = config.autoRegisterSchemas();
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
            subject = subject(topic, schema);
        } catch (IllegalArgumentException e) {
            throw new SerdeException(SerdeException.Reason.UNSERIALIZABLE_VALUE, topic, null, null, "topic " + topic + ": " + e.getMessage(), e);
        }
        int id;
        Schema writerSchema = schema;
        Object datum = data;
        try {
            if (useLatestVersion) {
                RegisteredSchema latest = latest(subject);
                id = latest.id();
                if (!latest.schema().equals(schema)) {
                    writerSchema = latest.schema();
                    datum = convert(topic, subject, id, data, schema, writerSchema);
                }
            } else if (autoRegisterSchemas) {
                id = registry.register(subject, schema);
            } else {
                id = registry.lookup(subject, schema).id();
            }
        } catch (RegistryUnavailableException e) {
            throw RegistryFailures.unavailable(e, topic, subject, null, action(subject, schema));
        } catch (RegistryErrorException e) {
            throw RegistryFailures.refused(e, topic, subject, null, action(subject, schema));
        }
        EncodeBuffer out = ENCODE_BUFFER.get();
        out.reset();
        WireFormat.writeHeader(out, id);
        out.encoder = EncoderFactory.get().directBinaryEncoder(out, out.encoder);
        try {
            writer(writerSchema, datum).write(datum, out.encoder);
            out.encoder.flush();
            return out.toByteArray();
        } catch (IOException | RuntimeException e) {
            throw new SerdeException(SerdeException.Reason.UNSERIALIZABLE_VALUE, topic, subject, id,
                    "topic " + topic + RegistryFailures.describe(subject, id) + ": " + schema.getFullName() + " does not encode: " + e, e);
        } finally {
            out.release();
        }
    }

    /** What the registry call of this serializer's mode does, for its error message. */
    private String action(String subject, Schema schema) {
        if (useLatestVersion) {
            return "fetch the latest version of subject " + subject;
        }
        return autoRegisterSchemas ? "register schema " + schema.getFullName()
                : "look up schema " + schema.getFullName() + " (auto.register.schemas=false)";
    }

    /**
     * Each thread encodes into one buffer of its own, kept between records, and copies the result out once: a
     * fresh 256-byte stream per record grew (copied) three or four times for a 1-2 KB record and then copied again.
     * Unsynchronized (thread-confined). serialize() never calls itself on the same thread, so one buffer per thread
     * is enough; one that grew past {@link #MAX_KEPT_BYTES} is let go after its record.
     */
    private static final ThreadLocal<EncodeBuffer> ENCODE_BUFFER = ThreadLocal.withInitial(EncodeBuffer::new);

    private static final class EncodeBuffer extends ByteArrayOutputStream {

        private static final int INITIAL_BYTES = 4096;
        private static final int MAX_KEPT_BYTES = 1 << 20;

        BinaryEncoder encoder;

        EncodeBuffer() {
            super(INITIAL_BYTES);
        }

        @Override
        public void write(int b) {
            ensure(count + 1);
            buf[count++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            Objects.checkFromIndexSize(off, len, b.length);
            ensure(count + len);
            System.arraycopy(b, off, buf, count, len);
            count += len;
        }

        @Override
        public byte[] toByteArray() {
            return Arrays.copyOf(buf, count);
        }

        @Override
        public void reset() {
            count = 0;
        }

        void release() {
            if (buf.length > MAX_KEPT_BYTES) {
                buf = new byte[INITIAL_BYTES];
            }
            count = 0;
        }

        private void ensure(int capacity) {
            if (capacity > buf.length) {
                if (capacity < 0) {
                    throw new OutOfMemoryError("record larger than 2 GiB");
                }
                buf = Arrays.copyOf(buf, Math.max(capacity, (int) Math.min(Integer.MAX_VALUE - 8L, 2L * buf.length)));
            }
        }
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
