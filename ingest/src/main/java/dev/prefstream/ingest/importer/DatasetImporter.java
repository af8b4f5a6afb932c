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
import java.util.Map;
import java.util.Optional;

/**
 * Reads a JSON-lines dataset and hands one PreferenceEvent per usable line to a sink. The event id is derived from
 * the format and the line's bytes ({@code <format>:<sha256 prefix>}), so importing the same file twice gives the
 * same ids (and ingest's dedup drops the repeat). occurred_at is the import time.
 */
public final class DatasetImporter {

    /** Told about progress every few lines (bytes read so far, of the file's size). */
    public interface Progress {
        void update(long bytesRead, long totalBytes, long lines);
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ImportFormat format;
    private final Clock clock;

    public DatasetImporter(ImportFormat format, Clock clock) {
        AvroTrust.ensureTrusted();
        this.format = format;
        this.clock = clock;
    }

    /**
     * Imports {@code file} into {@code sink}.
     *
     * @throws IOException when the file cannot be read (missing, unreadable, not UTF-8)
     */
    public ImportSummary importFile(Path file, EventSink sink, Progress progress) throws IOException {
        long total = Files.size(file);
        LineParser parser = format.parser();
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
                        sink.send(toEvent(parser, line, file, lines));
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
        return new ImportSummary(lines, blank, sink.delivered(), rejected, sink.failed());
    }

    /** One line to an event (public for tests and tools that import single lines). */
    public Optional<PreferenceEvent> parseLine(String line, String fileName, long lineNumber) {
        if (line.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(toEvent(format.parser(), line, Path.of(fileName), lineNumber));
    }

    private PreferenceEvent toEvent(LineParser parser, String line, Path file, long lineNumber) {
        JsonNode json;
        try {
            json = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new LineRejectedException("invalid_json", "line " + lineNumber + " is not JSON: " + e.getOriginalMessage());
        }
        if (json == null || !json.isObject()) {
            throw new LineRejectedException("invalid_json", "line " + lineNumber + " is not a JSON object");
        }
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
