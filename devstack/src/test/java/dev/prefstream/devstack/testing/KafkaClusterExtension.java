package dev.prefstream.devstack.testing;

import dev.prefstream.devstack.registry.EmbeddedSchemaRegistry;
import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.schemas.topics.TopicProvisioner;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * One real in-process Kafka cluster (a single KRaft node, broker and controller combined, started with Kafka's
 * {@link KafkaClusterTestKit}) plus the {@link EmbeddedSchemaRegistry} on a free port, per test class. Topics of
 * {@link TopicLayout} are created up front (3 partitions for the data topics).
 * <pre>
 * &#64;RegisterExtension
 * static final KafkaClusterExtension kafka = new KafkaClusterExtension();
 * </pre>
 * Register it on a {@code static} field so tests can reach its accessors. {@code @Nested} classes share the outer
 * class's cluster. Other modules use it through the schemas test-jar; they also need {@code kafka-test-common-runtime}
 * (test scope) on their own test classpath, since test-jar dependencies are not transitive.
 */
public final class KafkaClusterExtension implements BeforeAllCallback, AfterAllCallback {

    /** Generous safety net for waits in helpers; tests never assert on time. */
    private static final Duration WAIT = Duration.ofSeconds(60);

    private final int dataPartitions;
    private final Map<String, String> brokerOverrides;
    private KafkaClusterTestKit cluster;
    private EmbeddedSchemaRegistry registry;
    private Admin admin;
    /** beforeAll calls not yet matched by afterAll: nested classes re-enter the outer class's extension. */
    private int depth;

    /** Cluster with the standard topic layout (3 partitions per data topic). */
    public KafkaClusterExtension() {
        this(TopicLayout.DEFAULT_DATA_PARTITIONS, Map.of());
    }

    /**
     * @param dataPartitions  partitions of preference-events / preference-pairs
     * @param brokerOverrides extra broker properties
     */
    public KafkaClusterExtension(int dataPartitions, Map<String, String> brokerOverrides) {
        this.dataPartitions = dataPartitions;
        this.brokerOverrides = Map.copyOf(brokerOverrides);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        if (depth++ > 0) {
            return; // a nested class: the cluster is already up
        }
        TestKitNodes nodes = new TestKitNodes.Builder()
                .setCombined(true)
                .setNumBrokerNodes(1)
                .setNumControllerNodes(1)
                .build();
        KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes)
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("offsets.topic.num.partitions", "3")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("transaction.state.log.num.partitions", "3")
                .setConfigProp("share.coordinator.state.topic.replication.factor", "1")
                .setConfigProp("share.coordinator.state.topic.min.isr", "1")
                .setConfigProp("default.replication.factor", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .setConfigProp("log.cleaner.dedupe.buffer.size", String.valueOf(8 * 1024 * 1024));
        brokerOverrides.forEach(builder::setConfigProp);
        cluster = builder.build();
        cluster.format();
        cluster.startup();
        cluster.waitForReadyBrokers();
        admin = Admin.create(clientConfig());
        new TopicProvisioner(admin, WAIT).ensure(TopicLayout.topics(dataPartitions));
        registry = EmbeddedSchemaRegistry.start(new EmbeddedSchemaRegistry.Settings(clientConfig(), "localhost", 0, TopicLayout.SCHEMAS, Duration.ofSeconds(30)));
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (--depth > 0) {
            return; // a nested class finished: the outer class still uses the cluster
        }
        if (registry != null) {
            registry.close();
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
        if (cluster != null) {
            cluster.close();
        }
        registry = null;
        admin = null;
        cluster = null;
    }

    /** host:port of the broker. */
    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    /** Base URL of the registry, for {@code schema.registry.url}. */
    public String registryUrl() {
        return registry.url();
    }

    /** The running registry (tests may close it and start another on the same cluster). */
    public EmbeddedSchemaRegistry registry() {
        return registry;
    }

    /** An admin client for the cluster, shared by the class; do not close it. */
    public Admin admin() {
        return admin;
    }

    /** {@code bootstrap.servers} only; copy and extend. */
    public Map<String, Object> clientConfig() {
        Map<String, Object> config = new HashMap<>();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return config;
    }

    /** Client config plus {@code schema.registry.url}: what a serde-using producer/consumer/Streams app needs. */
    public Map<String, Object> clientConfigWithRegistry() {
        Map<String, Object> config = clientConfig();
        config.put("schema.registry.url", registryUrl());
        return config;
    }

    /** Creates a topic (idempotently) and returns its name; {@code configs} like "cleanup.policy". */
    public String createTopic(String name, int partitions, Map<String, String> configs) {
        new TopicProvisioner(admin, WAIT).ensure(List.of(new TopicLayout.TopicSpec(name, partitions, configs)));
        return name;
    }

    /** A fresh topic with a unique name (prefix + random suffix), so tests in one class do not see each other's records. */
    public String freshTopic(String prefix, int partitions) {
        return createTopic(prefix + "-" + UUID.randomUUID().toString().substring(0, 8), partitions, Map.of());
    }

    /** Produces records synchronously (acks=all) and returns their metadata. */
    public <K, V> List<RecordMetadata> produce(String topic, Serializer<K> keySerializer, Serializer<V> valueSerializer, List<Map.Entry<K, V>> records) {
        Map<String, Object> config = clientConfig();
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<K, V> producer = new KafkaProducer<>(config, keySerializer, valueSerializer)) {
            List<RecordMetadata> sent = new ArrayList<>();
            for (Map.Entry<K, V> record : records) {
                sent.add(producer.send(new ProducerRecord<>(topic, record.getKey(), record.getValue())).get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
            }
            return sent;
        } catch (Exception e) {
            throw new IllegalStateException("producing to " + topic + " failed", e);
        }
    }

    /** Produces raw bytes. */
    public List<RecordMetadata> produceBytes(String topic, List<Map.Entry<byte[], byte[]>> records) {
        return produce(topic, new ByteArraySerializer(), new ByteArraySerializer(), records);
    }

    /**
     * Reads {@code topic} from the beginning (all partitions, no consumer group) until {@code count} records have
     * arrived, or fails after a generous safety timeout saying how many came.
     */
    public <K, V> List<ConsumerRecord<K, V>> consume(String topic, int count, Deserializer<K> keyDeserializer, Deserializer<V> valueDeserializer) {
        Map<String, Object> config = clientConfig();
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<K, V> consumer = new KafkaConsumer<>(config, keyDeserializer, valueDeserializer)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo p : Optional.ofNullable(consumer.partitionsFor(topic, WAIT)).orElse(List.of())) {
                partitions.add(new TopicPartition(topic, p.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<ConsumerRecord<K, V>> received = new ArrayList<>();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (received.size() < count) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("expected " + count + " records on " + topic + " but got " + received.size() + " within " + WAIT);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(received::add);
            }
            return received;
        }
    }

    /** Reads raw bytes; see {@link #consume(String, int, Deserializer, Deserializer)}. */
    public List<ConsumerRecord<byte[], byte[]>> consumeBytes(String topic, int count) {
        return consume(topic, count, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Creates topics not in the layout, e.g. for Streams output in a test. */
    public void createTopics(List<NewTopic> topics) {
        try {
            admin.createTopics(topics).all().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("creating topics " + topics + " failed", e);
        }
    }
}
