package dev.prefstream.devstack.broker;

import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.schemas.topics.TopicProvisioner;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class EmbeddedKafkaBrokerTest {

    @TempDir
    Path dataDir;

    @Test
    void formatsOnFirstStartServesRecordsAndKeepsThemAcrossRestart() throws Exception {
        String clusterId;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedBrokerSettings.onFreePorts(dataDir))) {
            clusterId = broker.clusterId();
            assertThat(dataDir.resolve("kafka/meta.properties")).exists();
            assertThat(Files.readString(dataDir.resolve("kafka/meta.properties"))).contains("cluster.id=" + clusterId);
            try (Admin admin = Admin.create(broker.clientConfig())) {
                List<String> created = new TopicProvisioner(admin, Duration.ofSeconds(30)).ensure(TopicLayout.topics(3));
                assertThat(created).containsExactlyInAnyOrder("preference-events", "preference-pairs", "preference-events-dlq", "preference-pairs-dlq", "model-registry", "model-candidates", "_schemas");
                assertThat(new TopicProvisioner(admin, Duration.ofSeconds(30)).ensure(TopicLayout.topics(3))).isEmpty();
                TopicDescription events = admin.describeTopics(List.of("preference-events")).allTopicNames().get().get("preference-events");
                assertThat(events.partitions()).hasSize(3);
                String cleanup = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, "model-registry")))
                        .all().get().values().iterator().next().get("cleanup.policy").value();
                assertThat(cleanup).isEqualTo("compact");
            }
            produce(broker.bootstrapServers(), "restart-check", List.of("a", "b", "c"));
            assertThat(readAll(broker.bootstrapServers(), "restart-check", 3)).containsExactly("a", "b", "c");
        }

        // same data directory, other ports: same cluster, records still there, and it accepts new ones
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedBrokerSettings.onFreePorts(dataDir))) {
            assertThat(broker.clusterId()).isEqualTo(clusterId);
            produce(broker.bootstrapServers(), "restart-check", List.of("d"));
            assertThat(readAll(broker.bootstrapServers(), "restart-check", 4)).containsExactly("a", "b", "c", "d");
        }
    }

    @Test
    void transactionalProducerWorksOnOneNode() throws Exception {
        // exactly_once_v2 in Streams needs the transaction state log with replication factor 1
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedBrokerSettings.onFreePorts(dataDir))) {
            Map<String, Object> config = new HashMap<>(broker.clientConfig());
            config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tx-test");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("tx-topic", 0, "k", "committed"));
                producer.commitTransaction();
            }
            assertThat(readAll(broker.bootstrapServers(), "tx-topic", 1)).containsExactly("committed");
        }
    }

    private static void produce(String bootstrap, String topic, List<String> values) throws Exception {
        Map<String, Object> config = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
            for (String value : values) {
                producer.send(new ProducerRecord<>(topic, 0, null, value)).get();
            }
        }
    }

    private static List<String> readAll(String bootstrap, String topic, int expected) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        TopicPartition partition = new TopicPartition(topic, 0);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            List<String> values = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (values.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
            return values;
        }
    }
}
