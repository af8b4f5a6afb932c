package dev.prefstream.schemas.serde;

import dev.prefstream.schemas.registry.RegistryErrorException;
import dev.prefstream.schemas.registry.RegistryUnavailableException;
import dev.prefstream.schemas.registry.SchemaRegistryClient;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroTypeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Kafka deserializer for Confluent-wire-format Avro. Fetches the writer's schema by the id in the header (cached)
 * and resolves it to the reader's schema, so old readers read new data and new readers old data wherever Avro's
 * resolution rules allow (added fields with defaults, removed fields, ...). Three modes:
 * <ul>
 *   <li>a target class (constructor, or {@code specific.avro.value.type}/{@code specific.avro.key.type}): the
 *       generated class's schema is the reader schema and every record comes back as that class;</li>
 *   <li>{@code specific.avro.reader=true}: the generated class named by the writer schema's full name;</li>
 *   <li>otherwise GenericRecords with the writer's schema.</li>
 * </ul>
 * Null bytes give null (tombstones). Failures are {@link SerdeException}s with a {@link SerdeException.Reason}.
 * Thread-safe after configure().
 */
public class AvroDeserializer<T> extends RegistryAvroSerdeBase implements Deserializer<T> {

    private Class<?> targetType;
    private Schema genericReaderSchema;
    private boolean specificReader;
    private boolean configured;
    private final Map<Integer, DatumReader<Object>> readers = new ConcurrentHashMap<>();
    /** Resolving readers kept at most, one per writer schema id. */
    static final int MAX_CACHED_READERS = 1_000;

    /** For use by class name: the target class comes from specific.avro.*.type / specific.avro.reader, the registry from schema.registry.url. */
    public AvroDeserializer() {
    }

    /** Deserializes into {@code type} (a generated SpecificRecord class); configure() builds the registry client. */
    public AvroDeserializer(Class<T> type) {
        this.targetType = requireSpecific(type);
    }

    /** With a given registry client (not closed by this deserializer); {@code type} null means config decides (generic by default). */
    public AvroDeserializer(SchemaRegistryClient registry, Class<T> type) {
        super(registry);
        this.targetType = type == null ? null : requireSpecific(type);
    }

    /** Ready to use. */
    public AvroDeserializer(SchemaRegistryClient registry, Class<T> type, AvroSerdeConfig config, boolean isKey) {
        this.targetType = type == null ? null : requireSpecific(type);
        configure(Objects.requireNonNull(registry, "registry"), config, isKey, false);
    }

    /**
     * GenericRecords read with a fixed reader schema (for example an older version of a record, to check that old
     * readers read new data) instead of the writer's.
     */
    public static AvroDeserializer<org.apache.avro.generic.GenericRecord> withReaderSchema(SchemaRegistryClient registry, Schema readerSchema,
                                                                                         AvroSerdeConfig config, boolean isKey) {
        AvroDeserializer<org.apache.avro.generic.GenericRecord> d = new AvroDeserializer<>(registry, null);
        d.genericReaderSchema = Objects.requireNonNull(readerSchema, "readerSchema");
        d.configure(registry, config, isKey, false);
        return d;
    }

    @Override
    void configured(AvroSerdeConfig config) {
        if (targetType == null) {
            targetType = config.specificType(isKey).map(AvroDeserializer::requireSpecific).orElse(null);
        }
        this.specificReader = config.specificAvroReader();
        this.readers.clear();
        this.configured = true;
    }

    /**
     * Decodes one record. Whatever the bytes (and the writer schema they name) do, the failure is a
     * {@link SerdeException}: a writer schema that is recursive lets a small record nest deeply enough to exhaust
     * the stack, and a hostile length can make Avro try a large allocation. Both are {@link Error}s, which Kafka
     * Streams' deserialization handler and every {@code catch (RuntimeException)} would never see (the thread
     * would die and the record be retried forever), so they become {@link SerdeException.Reason#UNDESERIALIZABLE}
     * here, once, for every reader of untrusted bytes. Catching them is safe at this point: the stack has unwound
     * to here, and the failed allocation left nothing behind.
     */
    @Override
    public T deserialize(String topic, byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        if (!configured) {
            throw new IllegalStateException("AvroDeserializer used before configure()");
        }
        int id = WireFormat.schemaId(topic, bytes);
        try {
            return decode(topic, bytes, id);
        } catch (StackOverflowError e) {
            throw new SerdeException(SerdeException.Reason.UNDESERIALIZABLE, topic, subjectWithoutSchema(topic), id,
                    "topic " + topic + RegistryFailures.describe(subjectWithoutSchema(topic), id) + ": the " + (bytes.length - WireFormat.HEADER_SIZE)
                            + "-byte Avro body nests too deeply to decode (stack exhausted; recursive writer schema?)", null);
        } catch (OutOfMemoryError e) {
            throw new SerdeException(SerdeException.Reason.UNDESERIALIZABLE, topic, subjectWithoutSchema(topic), id,
                    "topic " + topic + RegistryFailures.describe(subjectWithoutSchema(topic), id) + ": the " + (bytes.length - WireFormat.HEADER_SIZE)
                            + "-byte Avro body declares a size that cannot be allocated (" + e.getMessage() + ")", null);
        }
    }

    @SuppressWarnings("unchecked")
    private T decode(String topic, byte[] bytes, int id) {
        String subject = subjectWithoutSchema(topic);
        Schema writer;
        try {
            writer = registry.getById(id);
        } catch (RegistryUnavailableException e) {
            throw RegistryFailures.unavailable(e, topic, subject, id, "fetch schema id " + id);
        } catch (RegistryErrorException e) {
            if (e.isSchemaNotFound()) {
                throw new SerdeException(SerdeException.Reason.UNKNOWN_SCHEMA_ID, topic, subject, id,
                        "topic " + topic + RegistryFailures.describe(subject, id) + ": unknown schema id " + id + ", not in schema registry "
                                + e.endpoint() + " (" + e.errorCode() + ": " + e.registryMessage() + ")", e);
            }
            throw RegistryFailures.refused(e, topic, subject, id, "fetch schema id " + id);
        }
        if (subject == null) {
            subject = strategy.subject(topic, isKey, writer);
        }
        DatumReader<Object> reader = reader(topic, subject, id, writer);
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, WireFormat.HEADER_SIZE, bytes.length - WireFormat.HEADER_SIZE, null);
        Object value;
        try {
            value = reader.read(null, decoder);
        } catch (AvroTypeException e) {
            throw new SerdeException(SerdeException.Reason.SCHEMA_MISMATCH, topic, subject, id,
                    "topic " + topic + RegistryFailures.describe(subject, id) + ": writer schema " + writer.getFullName()
                            + " cannot be read as " + readerName() + ": " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            if (e instanceof SecurityException) {
                throw (SecurityException) e; // a class-trust problem is a bug in the deployment, not bad data: let it surface as is
            }
            throw new SerdeException(SerdeException.Reason.MALFORMED_AVRO, topic, subject, id,
                    "topic " + topic + RegistryFailures.describe(subject, id) + ": Avro body of " + (bytes.length - WireFormat.HEADER_SIZE)
                            + " bytes does not decode with writer schema " + writer.getFullName() + ": " + e, e);
        }
        if (targetType != null && !targetType.isInstance(value)) {
            throw new SerdeException(SerdeException.Reason.UNKNOWN_TYPE, topic, subject, id,
                    "topic " + topic + RegistryFailures.describe(subject, id) + ": decoded a " + value.getClass().getName() + ", expected " + targetType.getName(), null);
        }
        return (T) value;
    }

    private String readerName() {
        if (genericReaderSchema != null) {
            return "reader schema " + genericReaderSchema.getFullName();
        }
        return targetType != null ? targetType.getName() : specificReader ? "the writer's generated class" : "GenericRecord";
    }

    @SuppressWarnings("unchecked")
    private DatumReader<Object> reader(String topic, String subject, int id, Schema writer) {
        DatumReader<Object> cached = readers.get(id);
        if (cached != null) {
            return cached;
        }
        DatumReader<Object> reader;
        if (targetType != null) {
            reader = specificReader(targetType, writer);
        } else if (specificReader && genericReaderSchema == null) {
            Class<?> type = SpecificData.get().getClass(writer);
            if (type == null || !SpecificRecord.class.isAssignableFrom(type)) {
                throw new SerdeException(SerdeException.Reason.UNKNOWN_TYPE, topic, subject, id,
                        "topic " + topic + RegistryFailures.describe(subject, id) + ": specific.avro.reader=true but no generated class "
                                + writer.getFullName() + " is on the classpath", null);
            }
            reader = specificReader(type, writer);
        } else {
            reader = new GenericDatumReader<>(writer, genericReaderSchema != null ? genericReaderSchema : writer, genericData);
        }
        if (readers.size() >= MAX_CACHED_READERS) {
            return reader; // bounded: only a flood of distinct registered writer schemas gets here
        }
        DatumReader<Object> raced = readers.putIfAbsent(id, reader);
        return raced != null ? raced : reader;
    }

    @SuppressWarnings("unchecked")
    private static DatumReader<Object> specificReader(Class<?> type, Schema writer) {
        // the class's own model (MODEL$) carries its logical-type conversions (timestamp-millis -> Instant)
        SpecificData model = SpecificData.getForClass(type);
        return (DatumReader<Object>) (DatumReader<?>) new SpecificDatumReader<>(writer, model.getSchema(type), model);
    }

    private static Class<?> requireSpecific(Class<?> type) {
        if (!SpecificRecord.class.isAssignableFrom(type)) {
            throw new IllegalArgumentException(type.getName() + " is not a generated Avro SpecificRecord class");
        }
        return type;
    }

}
