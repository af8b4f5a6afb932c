package dev.prefstream.ingest.topology;

import dev.prefstream.ingest.metrics.IngestMetrics;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.internals.DefaultErrorHandlerContext;
import org.apache.kafka.streams.processor.ProcessorContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Lets the exception handlers record into the same Streams metrics as the processors. Kafka's handler API gives
 * no metrics registry, but the context Kafka passes in ({@link DefaultErrorHandlerContext}, an internal class)
 * carries the task's processor context, and that one does. Should a Kafka upgrade change this, dead-letter records
 * are still written; only the {@code dlq} counter stops (logged once).
 */
final class HandlerMetrics {

    private static final Logger log = LoggerFactory.getLogger(HandlerMetrics.class);
    private static volatile boolean warned;

    /** One IngestMetrics per Streams metrics registry (per KafkaStreams / TopologyTestDriver instance). */
    private final Map<Object, IngestMetrics> byRegistry = new ConcurrentHashMap<>();

    void deadLettered(ErrorHandlerContext context, String reason, String kind) {
        if (context instanceof DefaultErrorHandlerContext d) {
            ProcessorContext pc = d.processorContext().orElse(null);
            if (pc != null && pc.metrics() != null) {
                IngestMetrics metrics = byRegistry.computeIfAbsent(pc.metrics(), m -> new IngestMetrics(pc.metrics()));
                synchronized (metrics) {
                    metrics.deadLettered(reason);
                    if (kind != null) {
                        metrics.dropped(kind, reason);
                    }
                }
                return;
            }
        }
        if (!warned) {
            warned = true;
            log.warn("dead-letter records are written but not counted: the error handler context ({}) gives no metrics registry",
                    context == null ? null : context.getClass().getName());
        }
    }
}
