package dev.prefstream.ingest.topology;

import dev.prefstream.ingest.config.IngestConfig;
import dev.prefstream.ingest.validate.RejectReason;
import dev.prefstream.ingest.validate.Rejection;
import dev.prefstream.schemas.DeadLetterHeaders;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;

/**
 * What happens when Kafka Streams cannot write a record:
 * <ul>
 *   <li>a retriable broker error (leader moving, timeout): retried;</li>
 *   <li>a pair (or repartitioned event) refused for good as it is sent (larger than the producer's
 *       {@code max.request.size}): the source event goes to the dead-letter topic with reason {@code unproducible}
 *       and processing goes on. A refusal that comes back from the broker (larger than the topic's
 *       {@code max.message.bytes}) arrives after the exactly-once transaction is already doomed: Kafka Streams aborts
 *       it and re-processes the task, so such a pair is retried (loudly) rather than skipped. Ingest's size limits
 *       ({@code ingest.limits.*}) keep pairs far below the broker's default 1 MB;</li>
 *   <li>a dead letter the broker refuses (too large for the DLQ, topic deleted, not authorized): the task fails with
 *       {@link DeadLetterUndeliverableException} named in the log and {@code dlq-undeliverable-total} counted. With
 *       exactly-once the transaction is aborted, so no offset is committed past a dead letter that was not
 *       written; the service stops loudly instead of dropping the record silently.</li>
 * </ul>
 */
public class DeadLetterProductionHandler implements ProductionExceptionHandler {

    /** The metric counting dead letters that could not be written. */
    public static final String UNDELIVERABLE_METRIC = "dlq-undeliverable";

    private static final Logger log = LoggerFactory.getLogger(DeadLetterProductionHandler.class);

    private String dlqTopic;
    private DeserializationFailureTally tally;

    /** The named error of a dead letter that could not be written. */
    public static final class DeadLetterUndeliverableException extends org.apache.kafka.streams.errors.StreamsException {
        public DeadLetterUndeliverableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    @Override
    public void configure(Map<String, ?> configs) {
        this.dlqTopic = IngestConfig.from(DeserializationFailureTally.withoutTally(configs)).dlqTopic();
        this.tally = DeserializationFailureTally.from(configs);
    }

    private static String header(ProducerRecord<byte[], byte[]> record, String key) {
        var h = record.headers().lastHeader(key);
        return h == null ? "?" : new String(h.value(), java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
        if (exception instanceof RetriableException) {
            return Response.retry();
        }
        if (dlqTopic.equals(record.topic())) {
            tally.undeliverable();
            DeadLetterUndeliverableException named = new DeadLetterUndeliverableException("dead letter for " + header(record, DeadLetterHeaders.SOURCE_TOPIC)
                    + "-" + header(record, DeadLetterHeaders.SOURCE_PARTITION) + "@" + header(record, DeadLetterHeaders.SOURCE_OFFSET)
                    + " (" + header(record, DeadLetterHeaders.REASON) + ") could not be written to " + dlqTopic + " (" + exception + "); stopping without committing past it", exception);
            log.error("DeadLetterUndeliverable: {}", named.getMessage());
            return Response.fail();
        }
        log.warn("cannot write a record to {} for input {}-{}@{}: {}; dead-lettering the input as unproducible",
                record.topic(), context.topic(), context.partition(), context.offset(), exception.toString());
        tally.increment(RejectReason.UNPRODUCIBLE);
        return Response.resume(List.of(DeadLetterRecords.build(dlqTopic, context.sourceRawKey(), context.sourceRawValue(), context.headers(),
                context.topic(), context.partition(), context.offset(), context.timestamp(),
                new Rejection(RejectReason.UNPRODUCIBLE, "output to " + record.topic() + " refused: " + exception.getMessage()), "produce", exception)));
    }
}
