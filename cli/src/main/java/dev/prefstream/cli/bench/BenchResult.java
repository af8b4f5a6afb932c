package dev.prefstream.cli.bench;

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
 * @param rawCpuSeconds      CPU time this process used during the raw phase
 * @param ingestCpuSeconds   CPU time this process used during the ingest phase
 */
public record BenchResult(long events, double eventsPerSecond, double rawRecordsPerSecond, long pairs, long dlq, double averageBytes,
                          double rawCpuSeconds, double ingestCpuSeconds) {

    /**
     * The ratio of CPU cost per record (raw / ingest), from this process's CPU time (broker and clients run in it):
     * unlike the wall-clock ratio it does not depend on how much CPU other processes take meanwhile.
     */
    public double cpuRatio() {
        return ingestCpuSeconds <= 0 ? Double.NaN : rawCpuSeconds / ingestCpuSeconds;
    }

    public double ratio() {
        return eventsPerSecond / rawRecordsPerSecond;
    }

    /** The one-line JSON the bench command prints last. */
    public String json() {
        return String.format(Locale.ROOT, "{\"events\":%d,\"events_per_s\":%.1f,\"raw_records_per_s\":%.1f,\"ratio\":%.3f,\"pairs\":%d,\"dlq\":%d}",
                events, eventsPerSecond, rawRecordsPerSecond, ratio(), pairs, dlq);
    }
}
