package dev.prefstream.ingest.topology;

import dev.prefstream.schemas.DeadLetterHeaders;
import dev.prefstream.ingest.canonical.ContentHash;
import dev.prefstream.ingest.config.AiJudgePolicy;
import dev.prefstream.ingest.config.IngestConfig;
import dev.prefstream.ingest.metrics.IngestMetrics;
import dev.prefstream.ingest.validate.EventKinds;
import dev.prefstream.ingest.validate.EventValidator;
import dev.prefstream.ingest.validate.RejectReason;
import dev.prefstream.ingest.validate.RejectedRecordException;
import dev.prefstream.ingest.validate.Rejection;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.PreferenceEvent;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Stage 1, on the input partitions: counts the event, validates it (invalid -> dead letter with the original
 * bytes), applies the AI-judge policy, and re-keys it by {@code prompt_id} for the repartition. Records where it
 * was read in origin headers so that later stages can name the input record.
 */
final class ValidateProcessor implements Processor<byte[], EncodedEvent, String, EncodedEvent> {

    private final EventValidator validator;
    private final boolean dropAiJudge;
    private ProcessorContext<String, EncodedEvent> context;
    private IngestMetrics metrics;

    ValidateProcessor(IngestConfig config) {
        this.validator = new EventValidator(config);
        this.dropAiJudge = config.aiJudgePolicy() == AiJudgePolicy.DROP;
    }

    @Override
    public void init(ProcessorContext<String, EncodedEvent> context) {
        this.context = context;
        this.metrics = new IngestMetrics(context.metrics());
        if (context.appConfigs().get(DeserializationFailureTally.CONFIG_KEY) instanceof DeserializationFailureTally tally) {
            for (RejectReason reason : DeserializationFailureTally.REASONS) {
                metrics.publishCount(IngestMetrics.DLQ, "reason", reason.code(), () -> tally.count(reason));
            }
            metrics.publishCount(DeadLetterProductionHandler.UNDELIVERABLE_METRIC, "topic",
                    String.valueOf(context.appConfigs().get(dev.prefstream.ingest.config.IngestConfig.TOPIC_DLQ)), tally::undeliverableCount);
        }
    }

    @Override
    public void process(Record<byte[], EncodedEvent> record) {
        PreferenceEvent event = record.value() == null ? null : record.value().event();
        String kind = EventKinds.tagOf(event);
        metrics.eventIn(kind);
        try {
            validateAndForward(record, event, kind);
        } catch (RuntimeException e) {
            if (!(e instanceof RejectedRecordException) && DeadLetterProcessingHandler.isRecordFault(e)) {
                metrics.processingError(kind);
            }
            throw e;
        }
    }

    private void validateAndForward(Record<byte[], EncodedEvent> record, PreferenceEvent event, String kind) {
        if (event == null) {
            throw metrics.reject(kind, new Rejection(RejectReason.TOMBSTONE, "record has no value (a tombstone)"));
        }
        Optional<Rejection> invalid = validator.validate(event);
        if (invalid.isPresent()) {
            throw metrics.reject(kind, invalid.get());
        }
        if (dropAiJudge && event.getSource() == FeedbackSource.AI_JUDGE) {
            metrics.dropped(kind, "ai_judge_filtered");
            return;
        }
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        Optional<RecordMetadata> where = context.recordMetadata();
        if (where.isPresent()) {
            setHeader(headers, DeadLetterHeaders.ORIGIN_TOPIC, where.get().topic());
            setHeader(headers, DeadLetterHeaders.ORIGIN_PARTITION, String.valueOf(where.get().partition()));
            setHeader(headers, DeadLetterHeaders.ORIGIN_OFFSET, String.valueOf(where.get().offset()));
        }
        // the event is forwarded unchanged, with the bytes it was read from: the repartition writes those again
        context.forward(new Record<>(ContentHash.promptId(event.getPrompt()), record.value(), record.timestamp(), headers));
        metrics.eventValid();
    }

    private static void setHeader(RecordHeaders headers, String key, String value) {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
