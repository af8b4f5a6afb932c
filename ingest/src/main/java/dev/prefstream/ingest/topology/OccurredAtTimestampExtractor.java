package dev.prefstream.ingest.topology;

import dev.prefstream.schemas.avro.PreferenceEvent;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

import java.time.Duration;

/**
 * Event time is the event's {@code occurred_at}, so that feedback windows and dedup retention follow when things
 * happened, not when they were replayed. An occurred_at further in the future than {@code maxFutureSkew} past the
 * record's broker timestamp is not trusted (it would advance stream time and expire every store at once); the
 * broker timestamp is used instead.
 */
public final class OccurredAtTimestampExtractor implements TimestampExtractor {

    private final long maxFutureSkewMillis;

    public OccurredAtTimestampExtractor(Duration maxFutureSkew) {
        this.maxFutureSkewMillis = maxFutureSkew.toMillis();
    }

    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        long brokerTime = record.timestamp();
        PreferenceEvent event = record.value() instanceof EncodedEvent encoded ? encoded.event()
                : record.value() instanceof PreferenceEvent plain ? plain : null;
        if (event != null && event.getOccurredAt() != null) {
            long occurred = event.getOccurredAt().toEpochMilli();
            if (occurred > 0 && (brokerTime < 0 || occurred <= brokerTime + maxFutureSkewMillis)) {
                return occurred;
            }
        }
        return brokerTime >= 0 ? brokerTime : Math.max(partitionTime, 0);
    }
}
