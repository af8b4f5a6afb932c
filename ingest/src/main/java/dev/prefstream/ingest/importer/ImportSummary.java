package dev.prefstream.ingest.importer;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one import did.
 *
 * @param format         the format read (given, or detected from the first JSON object); null when no line was one
 * @param layout         how the file was read: "JSON lines" or "JSON array", plus ", gzip"
 * @param linesRead      every line of the file, blank ones included (for a JSON array: its elements)
 * @param blankLines     lines with nothing but whitespace (skipped, not rejections)
 * @param eventsProduced events the sink accepted (for Kafka: acknowledged by the broker)
 * @param ties           events sent that prefer nothing (TIE comparisons, one-tier rankings, equal ratings): valid,
 *                       and ingest counts them as ties without making a pair
 * @param rejected       lines that could not become an event, by reason
 * @param sinkFailures   events the sink failed to deliver
 * @param examples       the first rejections ("line N (reason): why"), at most {@link #MAX_EXAMPLES}, so that a
 *                       person can find and fix them
 */
public record ImportSummary(ImportFormat format, String layout, long linesRead, long blankLines, long eventsProduced, long ties, Map<String, Long> rejected,
                            long sinkFailures, List<String> examples) {

    /** Rejections kept with their line number and message; the rest are only counted. */
    public static final int MAX_EXAMPLES = 10;

    public ImportSummary {
        rejected = Map.copyOf(rejected);
        examples = List.copyOf(examples);
    }

    /** A summary without rejection examples. */
    public ImportSummary(ImportFormat format, String layout, long linesRead, long blankLines, long eventsProduced, long ties, Map<String, Long> rejected,
                         long sinkFailures) {
        this(format, layout, linesRead, blankLines, eventsProduced, ties, rejected, sinkFailures, List.of());
    }

    /** Lines with something on them (read minus blank). */
    public long contentLines() {
        return linesRead - blankLines;
    }

    /**
     * True when the file had content but no event came of it (nothing produced, nothing even attempted): a binary
     * file, or a dataset read as another format. An importer treats that as a failure, not as an empty success.
     */
    public boolean producedNothing() {
        return contentLines() > 0 && eventsProduced == 0 && sinkFailures == 0;
    }

    public long linesRejected() {
        return rejected.values().stream().mapToLong(Long::longValue).sum();
    }

    /** The summary as a few lines for a person. */
    public String describe() {
        StringBuilder s = new StringBuilder()
                .append("format:          ").append(format == null ? "none (no JSON object line)" : format.cliName())
                .append(" (").append(layout).append(")\n")
                .append("lines read:      ").append(linesRead).append(blankLines > 0 ? " (" + blankLines + " blank)" : "").append('\n')
                .append("events produced: ").append(eventsProduced)
                .append(ties > 0 ? " (" + ties + (ties == 1 ? " tie" : " ties") + ": ingest makes no pair of them)" : "").append('\n')
                .append("lines rejected:  ").append(linesRejected());
        new TreeMap<>(rejected).forEach((reason, n) -> s.append("\n  ").append(reason).append(": ").append(n));
        if (!examples.isEmpty()) {
            s.append("\nfirst rejected lines:");
            examples.forEach(e -> s.append("\n  ").append(e));
            if (linesRejected() > examples.size()) {
                s.append("\n  ... ").append(linesRejected() - examples.size()).append(" more");
            }
        }
        if (sinkFailures > 0) {
            s.append("\nevents NOT delivered: ").append(sinkFailures);
        }
        return s.toString();
    }
}
