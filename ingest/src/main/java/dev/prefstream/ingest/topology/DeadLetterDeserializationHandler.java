package dev.prefstream.ingest.topology;

import dev.prefstream.ingest.config.IngestConfig;
import dev.prefstream.ingest.validate.RejectReason;
import dev.prefstream.ingest.validate.Rejection;
import dev.prefstream.schemas.serde.SerdeException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;

/**
 * Input that does not deserialize goes to the dead-letter topic with its exact bytes and the serde's reason
 * ({@code not_wire_format}, {@code unknown_schema_id}, else {@code undeserializable}), and processing goes on.
 * The one exception: when the registry cannot be reached the bytes may be fine, so the task fails (and Kafka
 * Streams retries it) instead of dead-lettering a valid event.
 */
public class DeadLetterDeserializationHandler implements DeserializationExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterDeserializationHandler.class);

    private final java.util.concurrent.atomic.AtomicLong logged = new java.util.concurrent.atomic.AtomicLong();
    private String dlqTopic;
    private DeserializationFailureTally tally;

    @Override
    public void configure(Map<String, ?> configs) {
        this.dlqTopic = IngestConfig.from(DeserializationFailureTally.withoutTally(configs)).dlqTopic();
        this.tally = DeserializationFailureTally.from(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
        if (exception instanceof SerdeException serde && serde.retriable()) {
            log.error("cannot deserialize {}-{}@{} because the schema registry is unreachable; failing the task so it is retried",
                    record.topic(), record.partition(), record.offset(), exception);
            return Response.fail();
        }
        RejectReason reason = reasonOf(exception);
        String message = exception.getMessage() == null ? exception.getClass().getName() : exception.getMessage();
        // the first few in full, then one in a thousand: a burst of garbage must not turn into a burst of logging
        long n = logged.incrementAndGet();
        if (n <= 10 || n % 1000 == 0) {
            log.warn("dead-lettering undeserializable record {}-{}@{} (#{}): {}: {}", record.topic(), record.partition(), record.offset(), n, reason.code(), message);
        }
        tally.increment(reason);
        return Response.resume(List.of(DeadLetterRecords.build(dlqTopic, record.key(), record.value(), record.headers(),
                record.topic(), record.partition(), record.offset(), record.timestamp(),
                new Rejection(reason, message), "deserialize", exception)));
    }

    static RejectReason reasonOf(Exception exception) {
        if (exception instanceof SerdeException serde) {
            return switch (serde.reason()) {
                case NOT_WIRE_FORMAT -> RejectReason.NOT_WIRE_FORMAT;
                case UNKNOWN_SCHEMA_ID -> RejectReason.UNKNOWN_SCHEMA_ID;
                default -> RejectReason.UNDESERIALIZABLE;
            };
        }
        return RejectReason.UNDESERIALIZABLE;
    }
}
