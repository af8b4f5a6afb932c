package dev.prefstream.ingest.importer;

import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.serde.AvroSerdes;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Produces imported events to a topic, keyed by event id, with the Avro serde (idempotent, acks=all). Delivery is
 * asynchronous; {@link #flush()} waits for every acknowledgement. The first failure is logged with its cause.
 */
public final class KafkaEventSink implements EventSink {

    private static final Logger log = LoggerFactory.getLogger(KafkaEventSink.class);

    private final KafkaProducer<String, PreferenceEvent> producer;
    private final String topic;
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    /** @param clientConfig bootstrap.servers, schema.registry.url and any further client properties */
    public KafkaEventSink(Map<String, Object> clientConfig, String topic) {
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
        config.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 20);
        config.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        this.producer = new KafkaProducer<>(config, new StringSerializer(),
                AvroSerdes.specific(PreferenceEvent.class, clientConfig, false).serializer());
        this.topic = topic;
    }

    @Override
    public void send(PreferenceEvent event) {
        producer.send(new ProducerRecord<>(topic, event.getEventId(), event), (metadata, error) -> {
            if (error == null) {
                delivered.incrementAndGet();
            } else if (failed.getAndIncrement() == 0) {
                log.error("cannot produce to {}: {}", topic, error.getMessage(), error);
            }
        });
    }

    @Override
    public void flush() {
        producer.flush();
    }

    @Override
    public long delivered() {
        return delivered.get();
    }

    @Override
    public long failed() {
        return failed.get();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(30));
    }
}
