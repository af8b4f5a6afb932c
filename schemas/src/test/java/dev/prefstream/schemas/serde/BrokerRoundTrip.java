package dev.prefstream.schemas.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.schemas.avro.ModelCheckpoint;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.PreferencePair;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every record type through a real broker and a real registry: produced with the serde (auto-registering the
 * schema under {@code <topic>-value}), read back with the serde, compared; the bytes on the topic are checked to be
 * Confluent's wire format with an id the registry resolves to the record's schema. Shared by the in-process test and
 * the Testcontainers test (Confluent's own registry), so both prove the same thing.
 */
final class BrokerRoundTrip {

    private static final ObjectMapper JSON = new ObjectMapper();

    private BrokerRoundTrip() {
    }

    /** Runs the round trip; topics are {@code prefix + layout name} so one cluster can host several runs. */
    static void everySchema(String bootstrapServers, String registryUrl, String topicPrefix) throws Exception {
        Map<String, Object> serdeConfig = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registryUrl);
        String events = topicPrefix + TopicLayout.PREFERENCE_EVENTS;
        List<PreferenceEvent> allKinds = List.of(AvroSamples.comparisonEvent(), AvroSamples.rankingEvent(),
                AvroSamples.ratingEvent(), AvroSamples.feedbackEvent());
        roundTrip(bootstrapServers, registryUrl, serdeConfig, events, PreferenceEvent.class, allKinds);
        roundTrip(bootstrapServers, registryUrl, serdeConfig, topicPrefix + TopicLayout.PREFERENCE_PAIRS, PreferencePair.class, List.of(AvroSamples.pair()));
        roundTrip(bootstrapServers, registryUrl, serdeConfig, topicPrefix + TopicLayout.MODEL_REGISTRY, ModelCheckpoint.class, List.of(AvroSamples.checkpoint()));
    }

    private static <T extends SpecificRecord> void roundTrip(String bootstrap, String registryUrl, Map<String, Object> serdeConfig,
                                                             String topic, Class<T> type, List<T> records) throws Exception {
        try (Serde<T> serde = AvroSerdes.specific(type, serdeConfig, false)) {
            Map<String, Object> producerConfig = new HashMap<>();
            producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
            try (KafkaProducer<String, T> producer = new KafkaProducer<>(producerConfig, new StringSerializer(), serde.serializer())) {
                for (T record : records) {
                    producer.send(new ProducerRecord<>(topic, 0, "k", record)).get();
                }
            }
            List<ConsumerRecord<String, byte[]>> raw = read(bootstrap, topic, records.size());
            List<T> decoded = new ArrayList<>();
            for (ConsumerRecord<String, byte[]> r : raw) {
                decoded.add(serde.deserializer().deserialize(topic, r.value()));
            }
            assertThat(decoded).as("records read back from %s", topic).containsExactlyElementsOf(records);

            // wire format: magic byte 0, then a big-endian schema id the registry knows as this type's schema
            ByteBuffer first = ByteBuffer.wrap(raw.get(0).value());
            assertThat(first.get()).isZero();
            int id = first.getInt();
            JsonNode byId = JSON.readTree(get(registryUrl + "/schemas/ids/" + id));
            Schema registered = new Schema.Parser().parse(byId.get("schema").asText());
            assertThat(registered).isEqualTo(schemaOf(type));
            JsonNode latest = JSON.readTree(get(registryUrl + "/subjects/" + topic + "-value/versions/latest"));
            assertThat(latest.get("id").asInt()).isEqualTo(id);
        }
    }

    private static Schema schemaOf(Class<? extends SpecificRecord> type) throws ReflectiveOperationException {
        return (Schema) type.getMethod("getClassSchema").invoke(null);
    }

    private static List<ConsumerRecord<String, byte[]>> read(String bootstrap, String topic, int count) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        TopicPartition partition = new TopicPartition(topic, 0);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (records.size() < count && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            assertThat(records).as("records on %s", topic).hasSize(count);
            return records;
        }
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("GET %s -> %s", url, response.body()).isEqualTo(200);
        return response.body();
    }
}
