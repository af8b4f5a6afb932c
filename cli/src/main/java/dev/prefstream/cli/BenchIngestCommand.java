package dev.prefstream.cli;

import dev.prefstream.cli.bench.BenchResult;
import dev.prefstream.cli.bench.IngestBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.util.concurrent.Callable;

/**
 * {@code prefstream bench ingest [--events N]}: the ingest app's throughput against the raw produce->consume rate
 * of the same embedded broker for the same bytes, measured in one run. Progress goes to stderr; the last line
 * on stdout is JSON.
 */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = "Benchmark ingest on an embedded broker: events/s vs raw produce->consume records/s; last line is JSON.")
final class BenchIngestCommand implements Callable<Integer> {

    @Option(names = "--events", paramLabel = "N", defaultValue = "50000",
            description = "Records to produce: mixed kinds, ~1 KB, 10%% duplicates, 1%% garbage (default: ${DEFAULT-VALUE}).")   // %% : picocli formats descriptions
    int events;

    @Option(names = "--warmup-events", paramLabel = "W", defaultValue = "0",
            description = "Records run through both paths untimed first, on topics of their own, so the timed passes measure "
                    + "steady state, not JIT compilation; 0 measures a cold JVM, as the README's first figures (default: ${DEFAULT-VALUE}).")
    int warmupEvents;

    @Override
    public Integer call() throws IOException, InterruptedException {
        BenchResult result = new IngestBenchmark(events, warmupEvents, Files.createTempDirectory("prefstream-bench-ingest"),
                line -> System.err.println("bench ingest: " + line)).run();
        System.out.printf("events/s %.0f, raw records/s %.0f, ratio %.2f, pairs %d, dlq %d; CPU per record: raw %.3f ms, ingest %.3f ms (CPU ratio %.2f)%n",
                result.eventsPerSecond(), result.rawRecordsPerSecond(), result.ratio(), result.pairs(), result.dlq(),
                1000 * result.rawCpuSeconds() / result.events(), 1000 * result.ingestCpuSeconds() / result.events(), result.cpuRatio());
        System.out.println(result.json());
        return 0;
    }
}
