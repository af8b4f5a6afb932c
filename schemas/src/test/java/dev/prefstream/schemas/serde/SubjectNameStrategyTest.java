package dev.prefstream.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.registry.InMemorySchemaRegistryClient;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class SubjectNameStrategyTest {

    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();

    @Test
    void topicNameIsTheDefaultForKeysAndValues() {
        AvroSerdeConfig config = AvroSerdeConfig.forUrl("mock://unused");
        new AvroSerializer<PreferencePair>(registry, config, true).serialize("preference-pairs", AvroSamples.pair());
        new AvroSerializer<PreferenceEvent>(registry, config, false).serialize("preference-pairs", AvroSamples.feedbackEvent());

        assertThat(registry.subjects()).containsExactly("preference-pairs-key", "preference-pairs-value");
        assertThat(registry.latest("preference-pairs-key").schema()).isEqualTo(PreferencePair.getClassSchema());
    }

    @Test
    void recordNameSharesOneSubjectAcrossTopics() {
        AvroSerdeConfig config = new AvroSerdeConfig(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://unused",
                AvroSerdeConfig.VALUE_SUBJECT_NAME_STRATEGY, "RecordName"));
        AvroSerializer<PreferencePair> serializer = new AvroSerializer<>(registry, config, false);
        serializer.serialize("preference-pairs", AvroSamples.pair());
        serializer.serialize("preference-pairs-replay", AvroSamples.pair());

        assertThat(registry.subjects()).containsExactly("dev.prefstream.schemas.avro.PreferencePair");
        // the deserializer learns the subject from the writer schema
        AvroDeserializer<PreferencePair> deserializer = new AvroDeserializer<>(registry, PreferencePair.class, config, false);
        assertThat(deserializer.deserialize("preference-pairs-replay", serializer.serialize("preference-pairs-replay", AvroSamples.pair())))
                .isEqualTo(AvroSamples.pair());
    }

    @Test
    void topicRecordNameCombinesBoth() {
        AvroSerdeConfig config = new AvroSerdeConfig(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://unused",
                AvroSerdeConfig.KEY_SUBJECT_NAME_STRATEGY, "TopicRecordName"));
        new AvroSerializer<PreferencePair>(registry, config, true).serialize("mixed", AvroSamples.pair());

        assertThat(registry.subjects()).containsExactly("mixed-dev.prefstream.schemas.avro.PreferencePair");
    }

    @Test
    void confluentClassNamesAndEnumNamesAreAliases() {
        assertThat(SubjectNameStrategy.parse("io.confluent.kafka.serializers.subject.TopicNameStrategy")).isEqualTo(SubjectNameStrategy.TOPIC_NAME);
        assertThat(SubjectNameStrategy.parse("io.confluent.kafka.serializers.subject.RecordNameStrategy")).isEqualTo(SubjectNameStrategy.RECORD_NAME);
        assertThat(SubjectNameStrategy.parse("io.confluent.kafka.serializers.subject.TopicRecordNameStrategy")).isEqualTo(SubjectNameStrategy.TOPIC_RECORD_NAME);
        assertThat(SubjectNameStrategy.parse("RECORD_NAME")).isEqualTo(SubjectNameStrategy.RECORD_NAME);
        assertThat(SubjectNameStrategy.parse("topicname")).isEqualTo(SubjectNameStrategy.TOPIC_NAME);
    }

    @Test
    void unknownStrategyIsAConfigError() {
        assertThatThrownBy(() -> new AvroSerdeConfig(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://x",
                AvroSerdeConfig.VALUE_SUBJECT_NAME_STRATEGY, "com.example.MyStrategy")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("value.subject.name.strategy")
                .hasMessageContaining("com.example.MyStrategy")
                .hasMessageContaining("TopicName, RecordName or TopicRecordName");
    }
}
