package dev.prefstream.schemas.serde;

import dev.prefstream.schemas.registry.SchemaRegistryClient;
import dev.prefstream.schemas.registry.SchemaRegistryClients;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.generic.GenericData;

/**
 * What {@link AvroSerializer} and {@link AvroDeserializer} share: the registry client (given, or built from
 * {@code schema.registry.url} by configure() and then owned and closed), whether it handles keys, the subject name
 * strategy and the GenericData with the configured logical-type conversions.
 */
abstract class RegistryAvroSerdeBase {

    static {
        AvroTrust.ensureTrusted();
    }

    SchemaRegistryClient registry;
    boolean ownsRegistry;
    boolean isKey;
    SubjectNameStrategy strategy = SubjectNameStrategy.TOPIC_NAME;
    GenericData genericData = GenericData.get();

    RegistryAvroSerdeBase() {
    }

    /** With a given registry client, not closed by this serde. */
    RegistryAvroSerdeBase(SchemaRegistryClient registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** Kafka's configure(): reads {@link AvroSerdeConfig}; builds (and then owns) a registry client unless one was given. */
    public void configure(Map<String, ?> configs, boolean isKey) {
        AvroSerdeConfig c = new AvroSerdeConfig(configs);
        if (registry != null) {
            configure(registry, c, isKey, ownsRegistry);
        } else {
            configure(SchemaRegistryClients.forUrl(c), c, isKey, true);
        }
    }

    final void configure(SchemaRegistryClient registry, AvroSerdeConfig config, boolean isKey, boolean ownsRegistry) {
        this.registry = registry;
        this.ownsRegistry = ownsRegistry;
        this.isKey = isKey;
        this.strategy = config.subjectNameStrategy(isKey);
        this.topicSubjects.clear();
        this.genericData = genericData(config);
        configured(config);
    }

    /**
     * The TopicName subjects by topic: {@link #subjectWithoutSchema} is asked for on every record, and building
     * {@code <topic>-value} each time was measurable in the ingest stream thread. Bounded, for apps that write to
     * very many topics; cleared by configure().
     */
    private final Map<String, String> topicSubjects = new ConcurrentHashMap<>();
    private static final int MAX_CACHED_SUBJECTS = 1024;

    /** {@code strategy.subjectWithoutSchema(topic, isKey)}, cached per topic. */
    final String subjectWithoutSchema(String topic) {
        if (strategy != SubjectNameStrategy.TOPIC_NAME) {
            return strategy.subjectWithoutSchema(topic, isKey);
        }
        String subject = topicSubjects.get(topic);
        if (subject == null) {
            subject = strategy.subjectWithoutSchema(topic, isKey);
            if (topicSubjects.size() < MAX_CACHED_SUBJECTS) {
                topicSubjects.put(topic, subject);
            }
        }
        return subject;
    }

    /** {@code strategy.subject(topic, isKey, schema)}, cached per topic where the strategy needs no schema. */
    final String subject(String topic, Schema schema) {
        String subject = subjectWithoutSchema(topic);
        return subject != null ? subject : strategy.subject(topic, isKey, schema);
    }

    /** The subclass's own settings; called at the end of every configure. */
    abstract void configured(AvroSerdeConfig config);

    /** The registry this serde uses. */
    public SchemaRegistryClient registry() {
        return registry;
    }

    /** Closes the registry client if this serde built it. */
    public void close() {
        if (ownsRegistry && registry != null) {
            registry.close();
        }
    }

    static GenericData genericData(AvroSerdeConfig config) {
        if (!config.useLogicalTypeConverters()) {
            return GenericData.get();
        }
        GenericData data = new GenericData();
        data.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
        data.addLogicalTypeConversion(new TimeConversions.TimestampMicrosConversion());
        data.addLogicalTypeConversion(new TimeConversions.DateConversion());
        data.addLogicalTypeConversion(new TimeConversions.TimeMillisConversion());
        data.addLogicalTypeConversion(new TimeConversions.TimeMicrosConversion());
        data.addLogicalTypeConversion(new TimeConversions.LocalTimestampMillisConversion());
        data.addLogicalTypeConversion(new TimeConversions.LocalTimestampMicrosConversion());
        return data;
    }
}
