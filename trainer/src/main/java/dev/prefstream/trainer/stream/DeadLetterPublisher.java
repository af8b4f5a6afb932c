package dev.prefstream.trainer.stream;

import dev.prefstream.schemas.DeadLetterHeaders;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.prefstream.schemas.DeadLetterHeaders.CONSUMER;
import static dev.prefstream.schemas.DeadLetterHeaders.MESSAGE;
import static dev.prefstream.schemas.DeadLetterHeaders.REASON;
import static dev.prefstream.schemas.DeadLetterHeaders.SOURCE_OFFSET;
import static dev.prefstream.schemas.DeadLetterHeaders.SOURCE_PARTITION;
import static dev.prefstream.schemas.DeadLetterHeaders.SOURCE_TOPIC;
import static dev.prefstream.schemas.DeadLetterHeaders.STAGE;

/**
 * The trainer's dead-letter producer: a pair record the trainer cannot use (undecodable, tombstone, untrainable) is
 * written to the dead-letter topic with its original key, value bytes and headers, plus (UTF-8 strings, the same
 * names as ingest's dead letters):
 * <ul>
 *   <li>{@value DeadLetterHeaders#REASON}: stable code: {@code not_wire_format}, {@code unknown_schema_id}, {@code malformed_avro},
 *       other serde reasons in lower case, {@code undeserializable}, {@code tombstone}, {@code untrainable_pair} or
 *       {@code chat_template} (the model's chat template refused the prompt: its message is the template's)</li>
 *   <li>{@value DeadLetterHeaders#MESSAGE}: what is wrong, for a person</li>
 *   <li>{@value DeadLetterHeaders#SOURCE_TOPIC}, {@value DeadLetterHeaders#SOURCE_PARTITION}, {@value DeadLetterHeaders#SOURCE_OFFSET}: where it was read</li>
 *   <li>{@value DeadLetterHeaders#STAGE}: {@code trainer}; {@value DeadLetterHeaders#CONSUMER}: the model name of the trainer or replay</li>
 * </ul>
 * Delivery is at least once and happens before the checkpoint whose offsets pass the record:
 * {@link #awaitDelivered()} is called before every checkpoint, and a checkpoint is not written while a dead letter
 * is unacknowledged, so a crash re-reads (and dead-letters again) rather than losing the record.
 */
final class DeadLetterPublisher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterPublisher.class);


    /** Messages are cut to this many chars: a header is no place for a whole text. */
    private static final int MAX_MESSAGE_CHARS = 2000;
    /** Re-sends of a failed dead letter per {@link #awaitDelivered()} call before the checkpoint is put off. */
    private static final int RESEND_ATTEMPTS = 3;

    private final String topic;
    private final String consumerName;
    private final KafkaProducer<byte[], byte[]> producer;
    /** Sent and not yet acknowledged, or failed: the checkpoint waits for these. Trainer thread only. */
    private final List<Pending> pending = new ArrayList<>();

    private static final class Pending {
        final ProducerRecord<byte[], byte[]> record;
        volatile boolean acked;
        volatile Exception failure;

        Pending(ProducerRecord<byte[], byte[]> record) {
            this.record = record;
        }
    }

    /**
     * @param kafka        client settings (schema.registry.url is ignored)
     * @param topic        the dead-letter topic
     * @param consumerName who dead-letters (model name), for {@value DeadLetterHeaders#CONSUMER}
     */
    DeadLetterPublisher(Map<String, Object> kafka, String topic, String consumerName) {
        this.topic = topic;
        this.consumerName = consumerName;
        Map<String, Object> c = new HashMap<>(kafka);
        c.remove("schema.registry.url");
        c.put(ProducerConfig.CLIENT_ID_CONFIG, "prefstream-trainer-dlq-" + consumerName);
        c.put(ProducerConfig.ACKS_CONFIG, "all");
        c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        c.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        // a missing topic or unreachable broker fails a send after 15 s instead of blocking the trainer for 60
        c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
        this.producer = new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** The dead-letter topic. */
    String topic() {
        return topic;
    }

    /** Sends (asynchronously) the dead letter of {@code r}. */
    void send(ConsumerRecord<byte[], byte[]> r, String reason, String message) {
        RecordHeaders headers = new RecordHeaders();
        for (Header h : r.headers()) {
            if (!h.key().startsWith("prefstream.dlq.")) {
                headers.add(h);
            }
        }
        put(headers, REASON, reason);
        put(headers, MESSAGE, message == null ? "" : message.length() <= MAX_MESSAGE_CHARS ? message : message.substring(0, MAX_MESSAGE_CHARS) + "...");
        put(headers, SOURCE_TOPIC, r.topic());
        put(headers, SOURCE_PARTITION, Integer.toString(r.partition()));
        put(headers, SOURCE_OFFSET, Long.toString(r.offset()));
        put(headers, STAGE, "trainer");
        put(headers, CONSUMER, consumerName);
        // no timestamp: the producer stamps the time of dead-lettering, so retention counts from then
        Pending p = new Pending(new ProducerRecord<>(topic, null, null, r.key(), r.value(), headers));
        pending.add(p);
        dispatch(p);
    }

    /**
     * Blocks until every dead letter sent so far is acknowledged, re-sending failed ones a few times.
     *
     * @return true when all are acknowledged (a checkpoint may pass their offsets), false when some are still failing
     */
    boolean awaitDelivered() {
        for (int attempt = 0; ; attempt++) {
            producer.flush(); // returns when every send so far completed: acknowledged or failed (callbacks ran)
            pending.removeIf(p -> p.acked);
            if (pending.isEmpty()) {
                return true;
            }
            if (attempt >= RESEND_ATTEMPTS) {
                Exception last = pending.get(0).failure;
                for (Pending p : pending) {
                    if (p.failure != null && !(p.failure instanceof org.apache.kafka.common.errors.RetriableException)) {
                        // too large for the topic, topic deleted, not authorized: waiting will not help, and training on
                        // without checkpoints would lose everything since the last one at the next restart
                        throw new DeadLetterUndeliverableException("dead letter of " + header(p, SOURCE_TOPIC) + "-" + header(p, SOURCE_PARTITION) + "@"
                                + header(p, SOURCE_OFFSET) + " (" + header(p, REASON) + ") cannot be written to " + topic + ": " + p.failure
                                + "; stopping without a checkpoint past it (fix the topic and restart: the record is read again)", p.failure);
                    }
                }
                log.error("{} dead letter(s) to {} not acknowledged (last error: {}); the checkpoint is put off", pending.size(), topic, last);
                return false;
            }
            for (Pending p : pending) {
                if (p.failure != null) {
                    dispatch(p);
                }
            }
        }
    }

    /** Dead letters sent and not yet acknowledged. */
    int unacknowledged() {
        return (int) pending.stream().filter(p -> !p.acked).count();
    }

    private void dispatch(Pending p) {
        p.failure = null;
        try {
            producer.send(p.record, (md, e) -> {
                if (e == null) {
                    p.acked = true;
                } else {
                    p.failure = e;
                }
            });
        } catch (RuntimeException e) {
            p.failure = e; // e.g. interrupted while waiting for metadata: re-sent by awaitDelivered
        }
    }

    private static String header(Pending p, String key) {
        Header h = p.record.headers().lastHeader(key);
        return h == null ? "?" : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** A dead letter the broker refuses for good: the trainer stops instead of checkpointing past it. */
    static final class DeadLetterUndeliverableException extends dev.prefstream.schemas.error.FatalException {
        DeadLetterUndeliverableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static void put(RecordHeaders headers, String key, String value) {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
