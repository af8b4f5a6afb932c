package dev.prefstream.ingest.importer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.prefstream.ingest.canonical.ContentHash;
import dev.prefstream.schemas.avro.Comparison;
import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.Ranking;
import dev.prefstream.schemas.avro.Rating;
import dev.prefstream.schemas.avro.ResponseScore;
import dev.prefstream.schemas.serde.AvroTrust;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a dataset and hands one PreferenceEvent per usable record to a sink. The file may be JSON lines or one JSON
 * array, gzip-compressed or not, with or without a UTF-8 BOM, with LF or CRLF line ends ({@link DatasetInput}).
 * A record that cannot become an event is counted by reason in the summary, never fatal: invalid JSON, a JSON
 * value that is not an object ({@value #NOT_AN_OBJECT}), a record over the size limit ({@value #TOO_LONG}, read
 * past without being kept), or whatever the format's parser refuses. The event id is derived from the format, the
 * record's text and the {@link ImportOptions} that change the event ({@code <format>:<sha256 prefix>}), so importing
 * the same file twice with the same options gives the same ids (and ingest's dedup drops the repeat), whether the
 * format was given or detected. occurred_at is the import time. Events that are ties (a TIE comparison, a ranking
 * of one tier, equal overall ratings) are delivered and counted in the summary: ingest makes no pair of them.
 * <p>
 * {@link ImportOptions#source()} overrides the source of every event whose format's natural source differs; the
 * annotator is then the format name (the natural annotator was the dataset's raters or its judge model), and the
 * metadata says {@code import.source=<source>}.
 * JSON's non-standard NaN/Infinity (which Python's json module writes) are read, then treated as missing numbers.
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
    /** Reject reason of a record that is valid JSON but not an object. */
    public static final String NOT_AN_OBJECT = "not_an_object";
    /** Reject reason of a record longer than the limit. */
    public static final String TOO_LONG = "too_long";
    /** Rejection reason: the line's bytes are not valid UTF-8 (only that line is skipped). */
    public static final String INVALID_UTF8 = "invalid_utf8";
    /** Default record size limit in chars: far above any real preference record, far below an OOM. */
    public static final int DEFAULT_MAX_RECORD_CHARS = 8 * 1024 * 1024;

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(DatasetImporter.class);
    private static final ObjectMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
    private static final com.fasterxml.jackson.databind.ObjectReader ONE_VALUE_PER_LINE =
            JSON.reader().with(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** The given format; null when detected per file. */
    private final ImportFormat fixedFormat;
    private final ImportOptions options;
    private final Clock clock;
    private final int maxRecordChars;

    public DatasetImporter(ImportFormat format, Clock clock) {
        this(Optional.of(format), clock);
    }

    /** @param format the format, or empty to detect it per file */
    public DatasetImporter(Optional<ImportFormat> format, Clock clock) {
        this(format, clock, DEFAULT_MAX_RECORD_CHARS);
    }

    /** @param maxRecordChars longest line (or array element) read, in chars; longer ones are rejected as {@value #TOO_LONG} */
    public DatasetImporter(Optional<ImportFormat> format, Clock clock, int maxRecordChars) {
        this(format, ImportOptions.DEFAULTS, clock, maxRecordChars);
    }

    /** @param options the source override and format options (PKU-SafeRLHF's label) */
    public DatasetImporter(Optional<ImportFormat> format, ImportOptions options, Clock clock, int maxRecordChars) {
        if (maxRecordChars < 1) {
            throw new IllegalArgumentException("max record chars must be positive, got " + maxRecordChars);
        }
        AvroTrust.ensureTrusted();
        this.fixedFormat = format.orElse(null);
        this.options = java.util.Objects.requireNonNull(options, "options");
        this.clock = clock;
        this.maxRecordChars = maxRecordChars;
    }

    /** An importer that tells each file's format from its first JSON object. */
    public static DatasetImporter autoDetecting(Clock clock) {
        return new DatasetImporter(Optional.empty(), clock);
    }

    /**
     * Imports {@code file} into {@code sink}.
     *
     * @throws IOException                    when the file cannot be read (missing, unreadable, a malformed JSON array)
     * @throws UnknownDatasetFormatException when auto-detecting and the first JSON object fits no format, or several
     */
    public ImportSummary importFile(Path file, EventSink sink, Progress progress) throws IOException {
        long total = Files.size(file);
        ImportFormat format = fixedFormat;
        LineParser parser = format == null ? null : format.parser(options);
        long records = 0;
        long blank = 0;
        long ties = 0;
        Map<String, Long> rejected = new HashMap<>();
        List<String> examples = new ArrayList<>();
        String layout;
        try (DatasetInput input = DatasetInput.open(file, JSON, maxRecordChars)) {
            layout = input.layout();
            DatasetRecord record;
            while ((record = input.next()) != null) {
                records = record.number();
                String text = record.tooLong() ? null : stripBom(record.text());
                if (text != null && text.isBlank()) {
                    blank++;
                } else {
                    try {
                        if (text == null) {
                            throw new LineRejectedException(TOO_LONG, "record " + records + " has " + record.chars() + " chars, limit " + maxRecordChars);
                        }
                        if (DatasetInput.hasMalformedBytes(text)) {
                            throw new LineRejectedException(INVALID_UTF8, "record " + records + " is not valid UTF-8");
                        }
                        JsonNode json = parseObject(text, records);
                        if (format == null) {
                            format = FormatDetector.detect(json, records);
                            parser = format.parser(options);
                            if (progress != null) {
                                progress.formatDetected(format, records, FormatDetector.keys(json));
                            }
                        } else if (fixedFormat == null) {
                            requireShapeOf(format, json);
                        }
                        PreferenceEvent event = toEvent(format, parser, json, text, file, records);
                        if (isTie(event.getJudgement())) {
                            ties++;
                        }
                        sink.send(event);
                    } catch (LineRejectedException e) {
                        rejected.merge(e.reason(), 1L, Long::sum);
                        keepExample(examples, records, e.reason(), e.getMessage());
                    } catch (org.apache.avro.AvroRuntimeException | ClassCastException | NullPointerException e) {
                        // a JSON shape no parser rule foresaw: one odd line must not end a long import, but a
                        // parser bug must stay findable
                        rejected.merge("unexpected_shape", 1L, Long::sum);
                        keepExample(examples, records, "unexpected_shape", e.toString());
                        log.debug("record {} of {}: unexpected shape", records, file, e);
                    }
                }
                if (progress != null && records % 256 == 0) {
                    progress.update(Math.min(input.bytesRead(), total), total, records);
                }
            }
        }
        sink.flush();
        if (progress != null) {
            progress.update(total, total, records);
        }
        return new ImportSummary(format, layout, records, blank, sink.delivered(), ties, rejected, sink.failed(), examples);
    }

    /** Keeps the first rejections with where and why (a long message is cut: a rejected line can be megabytes). */
    private static void keepExample(List<String> examples, long record, String reason, String message) {
        if (examples.size() < ImportSummary.MAX_EXAMPLES) {
            String why = message == null ? "" : message.length() > 200 ? message.substring(0, 200) + "..." : message;
            examples.add("line " + record + " (" + reason + "): " + why);
        }
    }

    /** A BOM at the start of a record (files concatenated with cat keep theirs) is not part of the JSON. */
    private static String stripBom(String text) {
        return !text.isEmpty() && text.charAt(0) == '\uFEFF' ? text.substring(1) : text;
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
        return Optional.of(toEvent(format, format.parser(options), json, line, Path.of(fileName), lineNumber));
    }

    private static JsonNode parseObject(String line, long lineNumber) {
        JsonNode json;
        try {
            // two objects on one line would otherwise import the first and silently drop the second
            json = ONE_VALUE_PER_LINE.readTree(line);
        } catch (JsonProcessingException e) {
            // line and column only: Jackson's full message adds its source-location internals
            String column = e.getLocation() == null || e.getLocation().getColumnNr() < 1 ? "" : " at column " + e.getLocation().getColumnNr();
            throw new LineRejectedException("invalid_json", "line " + lineNumber + " is not JSON" + column + ": " + e.getOriginalMessage());
        }
        if (json == null || json.isMissingNode()) {
            throw new LineRejectedException("invalid_json", "line " + lineNumber + " is not JSON");
        }
        if (!json.isObject()) {
            throw new LineRejectedException(NOT_AN_OBJECT, "line " + lineNumber + " is a JSON " + json.getNodeType() + ", not an object");
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
        FeedbackSource override = options.source() != null && options.source() != format.naturalSource() ? options.source() : null;
        String variant = parser.idVariant();
        if (override != null) {
            variant = (variant.isEmpty() ? "" : variant + ",") + "source=" + ImportOptions.cliName(override);
        }
        // default options hash the line alone, so ids from before the options existed stay the same
        String eventId = format.cliName() + ":" + ContentHash.sha256Hex(variant.isEmpty() ? line : line + "\n" + variant).substring(0, 32);
        Map<String, String> metadata = new HashMap<>();
        metadata.put("import.format", format.cliName());
        metadata.put("import.file", String.valueOf(file.getFileName()));
        metadata.put("import.line", String.valueOf(lineNumber));
        PreferenceEvent.Builder base = PreferenceEvent.newBuilder()
                .setEventId(eventId)
                .setOccurredAt(clock.instant())
                .setConversationId(eventId)
                .setMetadata(metadata);
        PreferenceEvent event = parser.parse(json, base);
        if (override != null) {
            event.setSource(override);
            event.setAnnotatorId(format.cliName());
            event.getMetadata().put("import.source", ImportOptions.cliName(override));
        }
        return event;
    }

    /** True when ingest will make no pair of the judgement because it prefers nothing. */
    private static boolean isTie(Object judgement) {
        if (judgement instanceof Comparison c) {
            return c.getOutcome() == ComparisonOutcome.TIE;
        }
        if (judgement instanceof Ranking r) {
            return r.getTiers().size() == 1;
        }
        if (judgement instanceof Rating r) {
            return r.getScores().stream().allMatch(s -> s.getScore() != null && s.getAspects().isEmpty())
                    && r.getScores().stream().map(ResponseScore::getScore).distinct().count() == 1;
        }
        return false;
    }
}
