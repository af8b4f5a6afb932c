package dev.prefstream.ingest.importer;

import dev.prefstream.schemas.avro.Comparison;
import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.PreferenceEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The wrappings real dataset files come in: BOM, CRLF, JSON arrays, gzip, huge lines, non-object values. */
class InputRobustnessTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-20T10:00:00Z"), ZoneOffset.UTC);
    private static final String A = "{\"prompt\": \"2+2?\", \"chosen\": \"4\", \"rejected\": \"5\"}";
    private static final String B = "{\"prompt\": \"Capital of France?\", \"chosen\": \"Paris\", \"rejected\": \"Lyon\"}";

    @TempDir
    Path tmp;

    private record Imported(ImportSummary summary, List<PreferenceEvent> events, List<long[]> progress) {
        List<String> chosen() {
            return events.stream().map(e -> e.getPrompt().get(0).getContent() + " -> " + e.getResponses().get(0).getText()).toList();
        }
    }

    private Imported importFile(Path file, int maxChars) throws IOException {
        ListSink sink = new ListSink();
        List<long[]> progress = new ArrayList<>();
        ImportSummary summary = new DatasetImporter(Optional.empty(), CLOCK, maxChars)
                .importFile(file, sink, (bytes, total, lines) -> progress.add(new long[]{bytes, total, lines}));
        return new Imported(summary, sink.events, progress);
    }

    private Imported importFile(Path file) throws IOException {
        return importFile(file, DatasetImporter.DEFAULT_MAX_RECORD_CHARS);
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(tmp.resolve(name), bytes);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    @Test
    void aBomAndCrlfLineEndsGiveTheSameEventsAsPlainLf() throws IOException {
        Imported plain = importFile(write("plain.jsonl", utf8(A + "\n" + B + "\n")));
        Imported windows = importFile(write("windows.jsonl", concat(BOM, utf8(A + "\r\n\r\n   \r\n" + B + "\r\n"))));
        assertThat(windows.summary().format()).isEqualTo(ImportFormat.TRL);
        assertThat(windows.summary().linesRead()).isEqualTo(4);
        assertThat(windows.summary().blankLines()).isEqualTo(2);
        assertThat(windows.summary().rejected()).isEmpty();
        assertThat(windows.events()).extracting(PreferenceEvent::getEventId).containsExactlyElementsOf(
                plain.events().stream().map(PreferenceEvent::getEventId).toList());
        assertThat(windows.chosen()).containsExactly("2+2? -> 4", "Capital of France? -> Paris");
        assertThat(windows.events().get(1).getResponses().get(1).getText()).isEqualTo("Lyon");
    }

    @Test
    void aJsonArrayFileIsReadElementByElementAndNonObjectsAreRejected() throws IOException {
        String array = "\n  [\n  " + A + ",\n  42,\n  \"just a string\",\n  null,\n  [1, 2],\n  " + B + "\n]\n";
        Imported r = importFile(write("records.json", concat(BOM, utf8(array))));
        assertThat(r.summary().layout()).isEqualTo("JSON array");
        assertThat(r.summary().format()).isEqualTo(ImportFormat.TRL);
        assertThat(r.summary().linesRead()).isEqualTo(6);
        assertThat(r.summary().eventsProduced()).isEqualTo(2);
        assertThat(r.summary().rejected()).containsExactlyEntriesOf(Map.of(DatasetImporter.NOT_AN_OBJECT, 4L));
        assertThat(r.chosen()).containsExactly("2+2? -> 4", "Capital of France? -> Paris");
        assertThat(r.events().get(1).getMetadata()).containsEntry("import.line", "6");
        assertThat(r.summary().describe()).contains("format:          trl (JSON array)").contains("not_an_object: 4");
    }

    @Test
    void gzipIsToldByItsMagicBytesForLinesAndArrays() throws IOException {
        byte[] lines = Files.readAllBytes(Path.of(getClass().getResource("/importers/ultrafeedback-binarized.jsonl").getPath()));
        Imported plain = importFile(write("uf.jsonl", lines));
        Imported gz = importFile(write("uf.jsonl.gz", gzip(lines)));
        assertThat(gz.summary().layout()).isEqualTo("JSON lines, gzip");
        // the same events (ids, prompts, responses, judgements); only import.file names the other file
        assertThat(gz.events()).usingRecursiveFieldByFieldElementComparatorIgnoringFields("metadata").isEqualTo(plain.events());
        assertThat(gz.events()).allSatisfy(e -> assertThat(e.getMetadata()).containsEntry("import.file", "uf.jsonl.gz"));
        assertThat(gz.summary().rejected()).isEqualTo(plain.summary().rejected());
        assertThat(gz.events()).hasSize(4);

        Imported gzArray = importFile(write("data.json.gz", gzip(utf8("[" + A + "," + B + "]"))));
        assertThat(gzArray.summary().layout()).isEqualTo("JSON array, gzip");
        assertThat(gzArray.chosen()).containsExactly("2+2? -> 4", "Capital of France? -> Paris");
        // progress ends at the file's own (compressed) size
        long size = Files.size(tmp.resolve("data.json.gz"));
        assertThat(gzArray.progress()).last().satisfies(p -> assertThat(p).containsExactly(size, size, 2));
    }

    @Test
    void aLineOverTheLimitIsRejectedBySizeAndItsNeighboursStillLoad() throws IOException {
        String huge = "{\"prompt\": \"" + "x".repeat(10_000) + "\", \"chosen\": \"a\", \"rejected\": \"b\"}";
        Imported r = importFile(write("huge.jsonl", utf8(A + "\n" + huge + "\n" + B)), 200);
        assertThat(r.summary().linesRead()).isEqualTo(3);
        assertThat(r.summary().rejected()).containsExactlyEntriesOf(Map.of(DatasetImporter.TOO_LONG, 1L));
        assertThat(r.chosen()).containsExactly("2+2? -> 4", "Capital of France? -> Paris");
        assertThat(r.events().get(1).getMetadata()).containsEntry("import.line", "3");

        Imported array = importFile(write("huge.json", utf8("[" + A + "," + huge + "," + B + "]")), 200);
        assertThat(array.summary().rejected()).containsExactlyEntriesOf(Map.of(DatasetImporter.TOO_LONG, 1L));
        assertThat(array.chosen()).containsExactly("2+2? -> 4", "Capital of France? -> Paris");
    }

    @Test
    void nonObjectLinesAreCountedByReasonAndNaNScoresAreMissingScores() throws IOException {
        String nanScores = "{\"prompt\": \"Hi\", \"chosen\": \"Hello\", \"rejected\": \"Go\", \"score_chosen\": NaN, \"score_rejected\": 1.0}";
        Imported r = importFile(write("mixed.jsonl", utf8(String.join("\n", A, "[1, 2]", "42", "\"text\"", "null", "true", "{broken", nanScores, ""))));
        assertThat(r.summary().rejected()).containsExactlyInAnyOrderEntriesOf(Map.of(DatasetImporter.NOT_AN_OBJECT, 5L, "invalid_json", 1L));
        assertThat(r.summary().linesRead()).isEqualTo(8);
        assertThat(r.summary().linesRejected()).isEqualTo(6);
        assertThat(r.events()).hasSize(2);
        assertThat(r.events().get(1).getJudgement()).isEqualTo(new Comparison("chosen", "rejected", ComparisonOutcome.A, null));
        assertThat(r.summary().describe()).contains("lines rejected:  6\n  invalid_json: 1\n  not_an_object: 5");
    }

    @Test
    void aLineWithMalformedUtf8IsRejectedAloneAndTheImportGoesOn() throws IOException {
        byte[] garbage = {0, (byte) 0xff, (byte) 0xfe, ' ', 'x'};
        // valid JSON whose string holds a lone continuation byte: must not be imported with a mangled text either
        byte[] badInString = concat(utf8("{\"prompt\": \"caf"), new byte[]{(byte) 0xa9}, utf8("\", \"chosen\": \"a\", \"rejected\": \"b\"}"));
        // supplementary chars (a surrogate pair in Java, U+10FFFF ends in the same low surrogate) are fine
        String emoji = "{\"prompt\": \"Smile \uD83D\uDE00 or \uDBFF\uDFFF?\", \"chosen\": \"yes\", \"rejected\": \"no\"}";
        Imported r = importFile(write("bad-utf8.jsonl", concat(utf8(A + "\n"), garbage, utf8("\n"), badInString, utf8("\n" + emoji + "\n" + B + "\n"))));
        assertThat(r.summary().rejected()).containsExactlyEntriesOf(Map.of(DatasetImporter.INVALID_UTF8, 2L));
        assertThat(r.summary().linesRead()).isEqualTo(5);
        assertThat(r.chosen()).containsExactly("2+2? -> 4", "Smile \uD83D\uDE00 or \uDBFF\uDFFF? -> yes", "Capital of France? -> Paris");
    }

    @Test
    void theSummaryNamesTheFirstRejectedLinesSoTheyCanBeFound() throws IOException {
        List<String> lines = new ArrayList<>(List.of(A, "{broken", "{\"prompt\": \"x\"}", B));
        for (int i = 0; i < 12; i++) {
            lines.add("[" + i + "]");
        }
        Imported r = importFile(write("some-bad.jsonl", utf8(String.join("\n", lines))));
        assertThat(r.summary().linesRejected()).isEqualTo(14);
        assertThat(r.summary().examples()).hasSize(ImportSummary.MAX_EXAMPLES);
        assertThat(r.summary().examples().get(0)).startsWith("line 2 (invalid_json): line 2 is not JSON at column ")
                .doesNotContain("Source:").doesNotContain("REDACTED").doesNotContain("StreamReadFeature");
        assertThat(r.summary().examples().get(1)).startsWith("line 3 (missing_field): ");
        assertThat(r.summary().examples().get(2)).startsWith("line 5 (" + DatasetImporter.NOT_AN_OBJECT + "): ");
        assertThat(r.summary().describe()).contains("\nfirst rejected lines:\n  line 2 (invalid_json): ").contains("\n  ... 4 more");
    }

    @Test
    void twoObjectsOnOneLineAreRejectedNotHalfImported() throws IOException {
        Imported r = importFile(write("two.jsonl", utf8(A + " " + B + "\n" + B)));
        assertThat(r.summary().rejected()).containsExactlyEntriesOf(Map.of("invalid_json", 1L));
        assertThat(r.chosen()).containsExactly("Capital of France? -> Paris");
    }

    @Test
    void aMalformedArrayEndsTheImportNamingWhere() throws IOException {
        Path file = write("broken.json", utf8("[\n" + A + ",\n{\"prompt\": \"x\" \"chosen\": 1}\n]"));
        assertThatThrownBy(() -> importFile(file)).isInstanceOf(IOException.class)
                .hasMessageStartingWith("malformed JSON array after 1 elements, at line 3 column");
        Path unclosed = write("unclosed.json", utf8("[" + A + ","));
        assertThatThrownBy(() -> importFile(unclosed)).isInstanceOf(IOException.class).hasMessageContaining("after 1 elements");
    }

    @Test
    void containersWeCannotReadAreNamed() throws IOException {
        assertThatThrownBy(() -> importFile(write("train.parquet", utf8("PAR1\0\0garbage")))).isInstanceOf(IOException.class)
                .hasMessageStartingWith("train.parquet is a Parquet file; export it as JSON lines first");
        assertThatThrownBy(() -> importFile(write("t.jsonl.zst", new byte[]{0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, 0, 0})))
                .hasMessageContaining("zstd-compressed");
        assertThatThrownBy(() -> importFile(write("cut.jsonl.gz", java.util.Arrays.copyOf(gzip(utf8(A + "\n" + B)), 30))))
                .isInstanceOf(IOException.class);
    }

    @Test
    void anEmptyFileImportsNothingAndNamesNoFormat() throws IOException {
        Imported r = importFile(write("empty.jsonl", new byte[0]));
        assertThat(r.summary().format()).isNull();
        assertThat(r.summary().linesRead()).isZero();
        assertThat(r.summary().describe()).startsWith("format:          none (no JSON object line) (JSON lines)");
    }

    @Test
    void theLineReaderSplitsOnLfCrlfAndCrAndKeepsExactlyTheLimit() throws IOException {
        JsonLinesReader reader = new JsonLinesReader(new StringReader("abc\r\ndef\rghi\n\nxyzw\nlast"), 3);
        List<String> lines = new ArrayList<>();
        DatasetRecord r;
        while ((r = reader.next()) != null) {
            lines.add(r.number() + ":" + (r.tooLong() ? "TOO_LONG(" + r.chars() + ")" : r.text()));
        }
        assertThat(lines).containsExactly("1:abc", "2:def", "3:ghi", "4:", "5:TOO_LONG(4)", "6:TOO_LONG(4)");
    }
}
