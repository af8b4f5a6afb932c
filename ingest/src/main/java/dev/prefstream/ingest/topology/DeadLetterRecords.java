package dev.prefstream.ingest.topology;

import dev.prefstream.schemas.DeadLetterHeaders;
import dev.prefstream.ingest.validate.Rejection;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;

/** Builds the dead-letter record for a rejected input record (see {@link DeadLetterHeaders}). */
final class DeadLetterRecords {

    /** Messages are cut to this many chars: a header is no place for a whole text. */
    static final int MAX_MESSAGE_CHARS = 2000;

    private DeadLetterRecords() {
    }

    static ProducerRecord<byte[], byte[]> build(String dlqTopic, byte[] key, byte[] value, Headers inputHeaders,
                                                String topic, int partition, long offset, long timestamp,
                                                Rejection rejection, String stage, Exception exception) {
        RecordHeaders headers = new RecordHeaders();
        if (inputHeaders != null) {
            for (Header h : inputHeaders) {
                if (!h.key().startsWith("prefstream.dlq.")) {
                    headers.add(h);
                }
            }
        }
        // after the repartition the context names the repartition topic; the origin headers name the real input
        String sourceTopic = text(inputHeaders, DeadLetterHeaders.ORIGIN_TOPIC, topic);
        String sourcePartition = text(inputHeaders, DeadLetterHeaders.ORIGIN_PARTITION, String.valueOf(partition));
        String sourceOffset = text(inputHeaders, DeadLetterHeaders.ORIGIN_OFFSET, String.valueOf(offset));
        put(headers, DeadLetterHeaders.REASON, rejection.reason().code());
        put(headers, DeadLetterHeaders.MESSAGE, cut(rejection.message()));
        put(headers, DeadLetterHeaders.SOURCE_TOPIC, sourceTopic);
        put(headers, DeadLetterHeaders.SOURCE_PARTITION, sourcePartition);
        put(headers, DeadLetterHeaders.SOURCE_OFFSET, sourceOffset);
        put(headers, DeadLetterHeaders.STAGE, stage);
        if (exception != null) {
            put(headers, DeadLetterHeaders.EXCEPTION, exception.getClass().getName());
        }
        // no timestamp: the producer stamps the time of dead-lettering, so the DLQ's retention counts from then,
        // not from an event time that may be long past (replays, imports)
        return new ProducerRecord<>(dlqTopic, null, null, key, value, headers);
    }

    private static String cut(String message) {
        return message.length() <= MAX_MESSAGE_CHARS ? message : message.substring(0, MAX_MESSAGE_CHARS) + "...";
    }

    private static void put(RecordHeaders headers, String key, String value) {
        headers.remove(key);
        headers.add(key, (value == null ? "" : value).getBytes(StandardCharsets.UTF_8));
    }

    static String text(Headers headers, String key, String fallback) {
        if (headers == null) {
            return fallback;
        }
        Header h = headers.lastHeader(key);
        return h == null || h.value() == null ? fallback : new String(h.value(), StandardCharsets.UTF_8);
    }
}
