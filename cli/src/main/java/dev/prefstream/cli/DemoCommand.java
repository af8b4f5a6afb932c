package dev.prefstream.cli;

import dev.prefstream.cli.demo.DemoDataDir;
import dev.prefstream.cli.demo.DemoLogging;
import dev.prefstream.cli.demo.DemoRunner;
import dev.prefstream.cli.demo.DemoSettings;
import dev.prefstream.cli.demo.DemoView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code prefstream demo}: the closed continuous-alignment loop on the embedded stack, in one process, to a report
 * under {@code DATA/report/}. Ctrl-C ends the streaming phase early; the run then stops every service in order and
 * still writes the report.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Watch a tiny model get better from streamed feedback: embedded Kafka + schema registry, ingest, "
                + "streaming DPO trainer, publisher and a chat simulator in one process; report with plots under DATA/report.",
                "Exit code: 0 when the final policy beats the base on held-out prompts, 2 when it did not, 1 on error, "
                        + "64 for a bad option, 130 after Ctrl-C."})
final class DemoCommand implements Callable<Integer> {

    /** Longest --minutes accepted: a week (larger values only overflowed the progress clock). */
    static final double MAX_MINUTES = 7 * 24 * 60;

    @Option(names = "--minutes", paramLabel = "N", defaultValue = "3",
            description = "Minutes of streaming feedback and training, after the base policy is ready (default: ${DEFAULT-VALUE}).")
    double minutes;

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "./data",
            description = "Data directory: broker log, cached base policy, checkpoints, report (default: ${DEFAULT-VALUE}). "
                    + "A second run continues from the previous run's checkpoints.")
    Path data;

    @Option(names = "--fresh",
            description = "Start over: delete the previous run's broker data, checkpoints and report (the cached base policy is kept).")
    boolean fresh;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    LoraOptions loraOptions;

    @Override
    public Integer call() throws Exception {
        if (!(minutes > 0) || minutes > MAX_MINUTES) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--minutes must be > 0 and at most " + (long) MAX_MINUTES + " (a week), got " + minutes);
        }
        DemoDataDir.prepare(data);
        System.setProperty("java.awt.headless", "true");
        // small tensors from several threads at once: one intra-op thread each avoids oversubscribing the cores
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", "1");
        }
        if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        java.nio.file.Path log = DemoLogging.toFile(data);
        if (log != null) {
            System.out.println("prefstream demo: service logs go to " + log + " (errors also here)");
        }
        DemoSettings settings = DemoSettings.defaults(data, Duration.ofMillis(Math.round(minutes * 60_000)), fresh);
        if (loraOptions.given()) {
            settings = settings.withLora(loraOptions.apply(dev.prefstream.trainer.dpo.TrainerConfig.defaults()).lora());
        }
        DemoRunner runner = new DemoRunner(settings, DemoView.onConsole(), Clock.systemUTC());
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            if (finished.getCount() == 0) {
                return; // normal exit: the run is over
            }
            System.out.println();
            System.out.println("prefstream demo: interrupted - stopping every service cleanly and writing the report...");
            runner.requestStop();
            try {
                finished.await(3, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "prefstream-demo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            DemoRunner.Result result = runner.run();
            return result.summary().improved() ? ExitCodes.OK : ExitCodes.NO_RESULT;
        } catch (CancellationException e) {
            System.out.println("prefstream demo: " + e.getMessage());
            return ExitCodes.INTERRUPTED;
        } finally {
            finished.countDown();
        }
    }
}
