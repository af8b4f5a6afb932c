package dev.prefstream.ingest.topology;

import dev.prefstream.ingest.config.IngestConfig;
import dev.prefstream.ingest.validate.RejectReason;
import dev.prefstream.ingest.validate.RejectedRecordException;
import dev.prefstream.ingest.validate.Rejection;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;

/**
 * Turns a record a processor rejected ({@link RejectedRecordException}: invalid event, degenerate pair) into a
 * dead-letter record with the source record's bytes and the reason, and resumes. An unexpected exception from our
 * own code on one record is dead-lettered too ({@code processing_error}, logged with its stack trace) so that one
 * odd record cannot stop the app. Failures of the infrastructure (state store, Kafka) are not the record's fault:
 * they fail the task, and Kafka Streams retries it.
 */
public class DeadLetterProcessingHandler implements ProcessingExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterProcessingHandler.class);

    private String dlqTopic;

    @Override
    public void configure(Map<String, ?> configs) {
        this.dlqTopic = IngestConfig.from(DeserializationFailureTally.withoutTally(configs)).dlqTopic();
    }

    /**
     * True when the exception is the record's fault (dead-letter it and go on), false when the infrastructure
     * failed (state store, Kafka: fail the task so it is retried). The processors use the same test to count
     * what this handler dead-letters.
     */
    public static boolean isRecordFault(Exception exception) {
        if (exception instanceof RejectedRecordException) {
            return true;
        }
        return !(exception instanceof ProcessorStateException || exception instanceof RetriableException
                || exception instanceof StreamsException);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        if (!isRecordFault(exception)) {
            log.error("infrastructure failure in {} on {}-{}@{}; failing the task so it is retried",
                    context.processorNodeId(), context.topic(), context.partition(), context.offset(), exception);
            return Response.fail();
        }
        Rejection rejection;
        if (exception instanceof RejectedRecordException rejected) {
            rejection = rejected.rejection();
            log.debug("dead-lettering {}-{}@{}: {}", context.topic(), context.partition(), context.offset(), exception.getMessage());
        } else {
            rejection = new Rejection(RejectReason.PROCESSING_ERROR, exception.getClass().getName() + ": " + exception.getMessage());
            log.error("unexpected failure in {} on {}-{}@{}; dead-lettering the record and going on",
                    context.processorNodeId(), context.topic(), context.partition(), context.offset(), exception);
        }
        return Response.resume(List.of(DeadLetterRecords.build(dlqTopic, context.sourceRawKey(), context.sourceRawValue(),
                context.headers(), context.topic(), context.partition(), context.offset(), context.timestamp(),
                rejection, stageOf(context.processorNodeId()), exception instanceof RejectedRecordException ? null : exception)));
    }

    private static String stageOf(String processorNodeId) {
        return processorNodeId == null ? "unknown" : processorNodeId;
    }
}
