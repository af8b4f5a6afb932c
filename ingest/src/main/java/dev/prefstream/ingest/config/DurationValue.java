package dev.prefstream.ingest.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/** Parses the duration syntax of the config file: ISO-8601 ({@code PT24H}, {@code P7D}), a number with a unit ({@code 500ms, 30s, 5m, 24h, 7d}) or plain milliseconds. */
final class DurationValue {

    private DurationValue() {
    }

    static Duration parse(String key, String text) {
        String value = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (value.startsWith("p")) {
                return Duration.parse(value.toUpperCase(Locale.ROOT));
            }
            if (value.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2).trim()));
            }
            char unit = value.charAt(value.length() - 1);
            String number = value.substring(0, value.length() - 1).trim();
            return switch (unit) {
                case 's' -> Duration.ofSeconds(Long.parseLong(number));
                case 'm' -> Duration.ofMinutes(Long.parseLong(number));
                case 'h' -> Duration.ofHours(Long.parseLong(number));
                case 'd' -> Duration.ofDays(Long.parseLong(number));
                default -> Duration.ofMillis(Long.parseLong(value));
            };
        } catch (NumberFormatException | DateTimeParseException | StringIndexOutOfBoundsException e) {
            throw new IngestConfigException(key + ": '" + text + "' is not a duration (use e.g. PT24H, 7d, 30s or milliseconds)", e);
        }
    }
}
