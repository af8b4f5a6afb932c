package dev.prefstream.cli;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/** Parses a command-line timestamp: ISO-8601 instant ({@code 2026-11-23T00:00:00Z}) or epoch milliseconds. */
final class TimestampArgument {

    private TimestampArgument() {
    }

    static long parseMillis(String option, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            try {
                return Instant.parse(value.trim()).toEpochMilli();
            } catch (DateTimeParseException e2) {
                throw new IllegalArgumentException(option + " '" + value + "' is neither epoch milliseconds nor an ISO-8601 instant like 2026-11-23T00:00:00Z");
            }
        }
    }
}
