package dev.prefstream.ingest.bench;

import java.util.Locale;

/**
 * What {@code prefstream bench ingest} measured.
 *
 * @param events             records produced (events, duplicates and garbage)
 * @param eventsPerSecond    events / (first produce to all processed and committed by the ingest app)
 * @param rawRecordsPerSecond the same records / (first produce to last consumed) through a plain producer and consumer on the same broker
 * @param pairs              pairs the app wrote
 * @param dlq                dead-letter records the app wrote
 * @param averageBytes       mean size of a produced record value
 */
public record BenchResult(long events, double eventsPerSecond, double rawRecordsPerSecond, long pairs, long dlq, double averageBytes) {

    public double ratio() {
        return eventsPerSecond / rawRecordsPerSecond;
    }

    /** The one-line JSON the bench command prints last. */
    public String json() {
        return String.format(Locale.ROOT, "{\"events\":%d,\"events_per_s\":%.1f,\"raw_records_per_s\":%.1f,\"ratio\":%.3f,\"pairs\":%d,\"dlq\":%d}",
                events, eventsPerSecond, rawRecordsPerSecond, ratio(), pairs, dlq);
    }
}
