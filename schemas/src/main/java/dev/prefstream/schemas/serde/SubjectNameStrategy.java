package dev.prefstream.schemas.serde;

import java.util.Locale;
import org.apache.avro.Schema;

/**
 * How the serializer names the registry subject of a record, as Confluent's strategies do. Accepts the short names
 * ({@code TopicName}, {@code RecordName}, {@code TopicRecordName}), the enum names, and Confluent's class names
 * ({@code io.confluent.kafka.serializers.subject.TopicNameStrategy}, ...) so existing configs work unchanged.
 */
public enum SubjectNameStrategy {
    /** {@code <topic>-key} / {@code <topic>-value}: one schema lineage per topic (the default). */
    TOPIC_NAME("TopicName"),
    /** The record's full name: one lineage per record type, shared across topics. */
    RECORD_NAME("RecordName"),
    /** {@code <topic>-<record full name>}: several record types per topic, each with its own lineage. */
    TOPIC_RECORD_NAME("TopicRecordName");

    private static final String CONFLUENT_PACKAGE = "io.confluent.kafka.serializers.subject.";

    private final String shortName;

    SubjectNameStrategy(String shortName) {
        this.shortName = shortName;
    }

    /** The short name, e.g. {@code TopicName}. */
    public String shortName() {
        return shortName;
    }

    /** The subject for a record of {@code schema} on {@code topic}. */
    public String subject(String topic, boolean isKey, Schema schema) {
        return switch (this) {
            case TOPIC_NAME -> topicSubject(topic, isKey);
            case RECORD_NAME -> recordName(schema);
            case TOPIC_RECORD_NAME -> topic + "-" + recordName(schema);
        };
    }

    /** The subject known before the schema is: only TopicName can name it; null otherwise. */
    public String subjectWithoutSchema(String topic, boolean isKey) {
        return this == TOPIC_NAME ? topicSubject(topic, isKey) : null;
    }

    private static String topicSubject(String topic, boolean isKey) {
        return topic + (isKey ? "-key" : "-value");
    }

    private static String recordName(Schema schema) {
        return switch (schema.getType()) {
            case RECORD, ENUM, FIXED -> schema.getFullName();
            default -> throw new IllegalArgumentException("the " + "RecordName strategy needs a named schema (record, enum, fixed), got " + schema.getType());
        };
    }

    /** Parses a configured value; throws IllegalArgumentException listing the accepted names otherwise. */
    public static SubjectNameStrategy parse(String value) {
        String v = value.trim();
        if (v.startsWith(CONFLUENT_PACKAGE) && v.endsWith("Strategy")) {
            v = v.substring(CONFLUENT_PACKAGE.length(), v.length() - "Strategy".length());
        }
        for (SubjectNameStrategy s : values()) {
            if (s.shortName.equalsIgnoreCase(v) || s.name().equalsIgnoreCase(v.toUpperCase(Locale.ROOT))) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown subject name strategy '" + value + "'; use TopicName, RecordName or TopicRecordName (or Confluent's "
                + CONFLUENT_PACKAGE + "TopicNameStrategy etc.)");
    }
}
