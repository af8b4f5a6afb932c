package dev.prefstream.publisher;

import dev.prefstream.checkpoint.registry.RegistryKeys;
import dev.prefstream.checkpoint.registry.RegistryReader;
import dev.prefstream.schemas.avro.ModelCheckpoint;
import dev.prefstream.schemas.error.RetriableException;
import dev.prefstream.schemas.serde.AvroSerdes;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Produces {@link ModelCheckpoint} records to a registry topic (model-registry, or model-candidates), each under the
 * per-version key and under the model's key (see {@link RegistryKeys}). Idempotent producer, acks=all, each
 * publication waits for the broker's acknowledgement.
 */
public final class RegistryPublisher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RegistryPublisher.class);

    private final KafkaProducer<String, ModelCheckpoint> producer;
    private final String topic;
    private final Map<String, Object> kafka;

    /**
     * @param kafka client settings incl. schema.registry.url
     * @param topic the registry (or candidates) topic
     */
    public RegistryPublisher(Map<String, Object> kafka, String topic) {
        this.topic = topic;
        this.kafka = Map.copyOf(kafka);
        Map<String, Object> c = new HashMap<>(kafka);
        c.put(ProducerConfig.ACKS_CONFIG, "all");
        c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        c.put(ProducerConfig.CLIENT_ID_CONFIG, "prefstream-registry-" + topic);
        this.producer = new KafkaProducer<>(c, new StringSerializer(), AvroSerdes.specific(ModelCheckpoint.class, kafka, false).serializer());
    }

    /** Publishes one record and waits until the broker has it. */
    public void publish(ModelCheckpoint record) {
        try {
            producer.send(new ProducerRecord<>(topic, RegistryKeys.version(record.getModelName(), record.getVersion()), record))
                    .get(60, TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>(topic, RegistryKeys.model(record.getModelName()), record)).get(60, TimeUnit.SECONDS);
            log.info("Announced {} {} as {} on {}: {}", record.getModelName(), record.getVersion(), record.getStatus(), topic, record.getStatusReason());
        } catch (ExecutionException | TimeoutException e) {
            throw new RetriableException("cannot publish " + record.getModelName() + " " + record.getVersion() + " to " + topic + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetriableException("interrupted publishing to " + topic, e);
        }
    }

    /** Everything announced on the topic so far (reads it from the start). */
    public RegistryReader read() {
        return RegistryReader.read(kafka, topic);
    }

    @Override
    public void close() {
        producer.close();
    }
}
