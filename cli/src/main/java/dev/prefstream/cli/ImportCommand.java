package dev.prefstream.cli;

import dev.prefstream.ingest.importer.DatasetImporter;
import dev.prefstream.ingest.importer.ImportFormat;
import dev.prefstream.ingest.importer.ImportOptions;
import dev.prefstream.ingest.importer.ImportSummary;
import dev.prefstream.ingest.importer.KafkaEventSink;
import dev.prefstream.ingest.importer.SafeRlhfLabel;
import dev.prefstream.ingest.importer.UnknownDatasetFormatException;
import dev.prefstream.schemas.TopicLayout;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code prefstream import --format F FILE.jsonl}: replays a public preference dataset into preference-events,
 * with a progress bar on stderr and a summary at the end. {@code --format auto} (the default) tells the format from
 * the first JSON object and says which on stderr. Exit 0 when the file was read and every event delivered (an empty
 * file included), 2 when the file cannot be read, its format is not detected, or it is not empty yet produced no event
 * (a binary file, another dataset's format given with --format: every line rejected), 1 when events could not be
 * delivered, 69 when the broker or the registry does not answer.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Produce PreferenceEvents from a JSON-lines dataset (auto, trl, trl-unpaired, hh-rlhf, ultrafeedback, openai, shp, pku-saferlhf, chatbot-arena, nectar).")
final class ImportCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = ImportFormat.AUTO,
            description = "auto | trl | trl-unpaired (alias kto) | hh-rlhf | ultrafeedback | openai | shp | pku-saferlhf | chatbot-arena | nectar (default: ${DEFAULT-VALUE}: detected from the first JSON object's keys)")
    String format;

    @Option(names = "--source", paramLabel = "SOURCE",
            description = "human | ai-judge: overrides every event's source, with the format name as annotator (default: the format's own: ai-judge for ultrafeedback and nectar, whose labels are GPT-4's, human for the others).")
    String source;

    @Option(names = "--preference", paramLabel = "LABEL", defaultValue = "better",
            description = "pku-saferlhf: which label becomes the comparison, better or safer (default: ${DEFAULT-VALUE}); the other stays in metadata.")
    String preference;

    @Option(names = "--topic", paramLabel = "TOPIC", defaultValue = TopicLayout.PREFERENCE_EVENTS,
            description = "Topic to produce to (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--max-line-chars", paramLabel = "N", defaultValue = "" + DatasetImporter.DEFAULT_MAX_RECORD_CHARS,
            description = "Longest line (or JSON array element) read, in chars; longer ones are rejected as too_long (default: ${DEFAULT-VALUE}).")
    int maxLineChars;

    @Parameters(index = "0", paramLabel = "FILE.jsonl",
            description = "The dataset: one JSON object per line, or one JSON array of objects; may be gzip-compressed.")
    Path file;

    @Override
    public Integer call() {
        Optional<ImportFormat> importFormat;
        ImportOptions options;
        try {
            importFormat = ImportFormat.parseOrAuto(format);
            options = new ImportOptions(source == null ? null : ImportOptions.parseSource(source), SafeRlhfLabel.parse(preference));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        PrintStream err = System.err;
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            err.println("prefstream import: cannot read " + file + " (no such readable file)");
            return ExitCodes.NO_RESULT;
        }
        kafka.requireReachable(); // a missing broker fails in seconds, not one producer timeout per event
        ProgressBar bar = new ProgressBar(err);
        ImportSummary summary;
        try (KafkaEventSink sink = new KafkaEventSink(kafka.clientConfig(), topic)) {
            summary = new DatasetImporter(importFormat, options, Clock.systemUTC(), maxLineChars).importFile(file, sink, bar);
        } catch (IOException e) {
            bar.finish();
            err.println("prefstream import: cannot read " + file + ": " + e);
            return ExitCodes.NO_RESULT;
        } catch (UnknownDatasetFormatException e) {
            bar.finish();
            err.println("prefstream import: " + file + ": " + e.getMessage());
            return ExitCodes.NO_RESULT;
        }
        bar.finish();
        err.println(summary.describe());
        System.out.println("imported " + summary.eventsProduced() + " events from " + file + " into " + topic);
        if (summary.sinkFailures() > 0) {
            return ExitCodes.FAILED;
        }
        if (summary.producedNothing()) {
            err.println("prefstream import: " + file + " has " + summary.contentLines() + " non-blank "
                    + (summary.contentLines() == 1 ? "line" : "lines") + " but produced no event"
                    + (summary.format() == null ? " (no line is a JSON object: is it a JSON-lines dataset?)"
                    : " (every line rejected as " + summary.format().cliName() + "; see the reasons above, or try --format auto)"));
            return ExitCodes.NO_RESULT;
        }
        return ExitCodes.OK;
    }

    /** A one-line progress bar redrawn on stderr at most every 100 ms. */
    static final class ProgressBar implements DatasetImporter.Progress {

        private static final int WIDTH = 30;
        private final PrintStream out;
        private final long started = System.nanoTime();
        private long lastDraw;
        private boolean drawn;

        ProgressBar(PrintStream out) {
            this.out = out;
        }

        @Override
        public void formatDetected(ImportFormat format, long lineNumber, List<String> keys) {
            finish();
            drawn = false;
            out.println("prefstream import: detected format " + format.cliName() + " from the keys " + keys + " of line " + lineNumber);
        }

        @Override
        public void update(long bytes, long total, long lines) {
            long now = System.nanoTime();
            if (drawn && now - lastDraw < 100_000_000L && bytes < total) {
                return;
            }
            lastDraw = now;
            drawn = true;
            double fraction = total == 0 ? 1 : (double) bytes / total;
            int filled = (int) Math.round(fraction * WIDTH);
            double seconds = Math.max(1e-3, (now - started) / 1e9);
            out.printf("\r[%s%s] %3d%%  %,d lines  %,.0f lines/s", "#".repeat(filled), ".".repeat(WIDTH - filled),
                    Math.round(fraction * 100), lines, lines / seconds);
            out.flush();
        }

        void finish() {
            if (drawn) {
                out.println();
            }
        }
    }
}
