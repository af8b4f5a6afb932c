package dev.prefstream.ingest.importer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prefstream.ingest.canonical.ContentHash;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.serde.AvroTrust;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a JSON-lines dataset and hands one PreferenceEvent per usable line to a sink. The event id is derived from
 * the format and the line's bytes ({@code <format>:<sha256 prefix>}), so importing the same file twice gives the
 * same ids (and ingest's dedup drops the repeat), whether the format was given or detected. occurred_at is the
 * import time.
 * <p>
 * Auto-detecting ({@link #autoDetecting}): the first line that is a JSON object fixes the format
 * ({@link FormatDetector}); a first object of no known shape, or of several, ends the import with
 * {@link UnknownDatasetFormatException}. Later lines that have the shape of another format are rejected
 * ({@value #OTHER_FORMAT}), the rest go to the detected format's parser as with an explicit format.
 */
public final class DatasetImporter {

    /** Told about progress every few lines (bytes read so far, of the file's size). */
    public interface Progress {
        void update(long bytesRead, long totalBytes, long lines);

        /** Told once, when auto-detection fixed the format on {@code lineNumber} (whose keys are {@code keys}). */
        default void formatDetected(ImportFormat format, long lineNumber, List<String> keys) {
        }
    }

    /** Reject reason of a line shaped like another format than the file's. */
    public static final String OTHER_FORMAT = "other_format";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The given format; null when detected per file. */
    private final ImportFormat fixedFormat;
    private final Clock clock;

    public DatasetImporter(ImportFormat format, Clock clock) {
        this(Optional.of(format), clock);
    }

    /** @param format the format, or empty to detect it per file */
    public DatasetImporter(Optional<ImportFormat> format, Clock clock) {
        AvroTrust.ensureTrusted();
        this.fixedFormat = format.orElse(null);
        this.clock = clock;
    }

    /** An importer that tells each file's format from its first JSON object. */
    public static DatasetImporter autoDetecting(Clock clock) {
        return new DatasetImporter(Optional.empty(), clock);
    }

    /**
     * Imports {@code file} into {@code sink}.
     *
     * @throws IOException                    when the file cannot be read (missing, unreadable, not UTF-8)
     * @throws UnknownDatasetFormatException when auto-detecting and the first JSON object fits no format, or several
     */
    public ImportSummary importFile(Path file, EventSink sink, Progress progress) throws IOException {
        long total = Files.size(file);
        ImportFormat format = fixedFormat;
        LineParser parser = format == null ? null : format.parser();
        long lines = 0;
        long blank = 0;
        long bytes = 0;
        Map<String, Long> rejected = new HashMap<>();
        try (InputStream in = Files.newInputStream(file);
             BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()))) {
            String line;
            while ((line = reader.readLine()) != null) {
                lines++;
                bytes += line.getBytes(StandardCharsets.UTF_8).length + 1;
                if (line.isBlank()) {
                    blank++;
                } else {
                    try {
                        JsonNode json = parseObject(line, lines);
                        if (format == null) {
                            format = FormatDetector.detect(json, lines);
                            parser = format.parser();
                            if (progress != null) {
                                progress.formatDetected(format, lines, FormatDetector.keys(json));
                            }
                        } else if (fixedFormat == null) {
                            requireShapeOf(format, json);
                        }
                        sink.send(toEvent(format, parser, json, line, file, lines));
                    } catch (LineRejectedException e) {
                        rejected.merge(e.reason(), 1L, Long::sum);
                    } catch (org.apache.avro.AvroRuntimeException | ClassCastException | NullPointerException e) {
                        // a JSON shape no parser rule foresaw: one odd line must not end a long import
                        rejected.merge("unexpected_shape", 1L, Long::sum);
                    }
                }
                if (progress != null && lines % 256 == 0) {
                    progress.update(Math.min(bytes, total), total, lines);
                }
            }
        }
        sink.flush();
        if (progress != null) {
            progress.update(total, total, lines);
        }
        return new ImportSummary(format, lines, blank, sink.delivered(), rejected, sink.failed());
    }

    /**
     * One line to an event (public for tests and tools that import single lines); auto-detecting, the line's own
     * shape decides.
     */
    public Optional<PreferenceEvent> parseLine(String line, String fileName, long lineNumber) {
        if (line.isBlank()) {
            return Optional.empty();
        }
        JsonNode json = parseObject(line, lineNumber);
        ImportFormat format = fixedFormat != null ? fixedFormat : FormatDetector.detect(json, lineNumber);
        return Optional.of(toEvent(format, format.parser(), json, line, Path.of(fileName), lineNumber));
    }

    private static JsonNode parseObject(String line, long lineNumber) {
        JsonNode json;
        try {
            json = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new LineRejectedException("invalid_json", "line " + lineNumber + " is not JSON: " + e.getOriginalMessage());
        }
        if (json == null || !json.isObject()) {
            throw new LineRejectedException("invalid_json", "line " + lineNumber + " is not a JSON object");
        }
        return json;
    }

    /** Auto-detected files: a line that plainly has another format's shape is not read as this one. */
    private static void requireShapeOf(ImportFormat format, JsonNode json) {
        Set<ImportFormat> shapes = FormatDetector.matches(json);
        if (!shapes.isEmpty() && shapes.stream().noneMatch(s -> FormatDetector.sameFamily(s, format))) {
            throw new LineRejectedException(OTHER_FORMAT, "line has keys " + FormatDetector.keys(json) + " of "
                    + shapes.stream().map(ImportFormat::cliName).toList() + ", the file is " + format.cliName());
        }
    }

    private PreferenceEvent toEvent(ImportFormat format, LineParser parser, JsonNode json, String line, Path file, long lineNumber) {
        String eventId = format.cliName() + ":" + ContentHash.sha256Hex(line).substring(0, 32);
        Map<String, String> metadata = new HashMap<>();
        metadata.put("import.format", format.cliName());
        metadata.put("import.file", String.valueOf(file.getFileName()));
        metadata.put("import.line", String.valueOf(lineNumber));
        PreferenceEvent.Builder base = PreferenceEvent.newBuilder()
                .setEventId(eventId)
                .setOccurredAt(clock.instant())
                .setConversationId(eventId)
                .setMetadata(metadata);
        return parser.parse(json, base);
    }
}
