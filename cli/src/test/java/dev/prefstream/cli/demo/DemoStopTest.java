package dev.prefstream.cli.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A stop (Ctrl-C) that arrives between the base policy and the streaming phase. */
class DemoStopTest {

    @Test
    void aStopWhileTheServicesStartCancelsTheRunBeforeTheBrokerStarts(@TempDir Path data) {
        // one SFT step: the base policy only has to exist
        DemoSettings settings = DemoSettings.defaults(data, Duration.ofSeconds(60), false)
                .withBase(new BasePolicy.Settings("tiny", 7L, 1, 1, 3e-3, 1L));
        AtomicReference<DemoRunner> runner = new AtomicReference<>();
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        // the stop arrives as the services phase begins, as a Ctrl-C during "[2/4] Starting ..." does
        PrintStream out = new PrintStream(screen, true, StandardCharsets.UTF_8) {
            @Override
            public void println(String x) {
                super.println(x);
                if (x.startsWith("[2/4]")) {
                    runner.get().requestStop();
                }
            }
        };
        runner.set(new DemoRunner(settings, new DemoView(out, false), Clock.systemUTC()));

        // was: the broker, ingest, trainer and simulator started anyway (and under a real Ctrl-C the broker's start
        // died with an ExceptionInInitializerError stack trace, the JVM refusing its logging library's shutdown hook)
        assertThatThrownBy(() -> runner.get().run())
                .isInstanceOf(CancellationException.class)
                .hasMessageContaining("stopped before streaming started");
        assertThat(screen.toString(StandardCharsets.UTF_8)).contains("[2/4]").doesNotContain("[3/4]");
        assertThat(settings.basePolicyDir().resolve(BasePolicy.MARKER)).isRegularFile();
        assertThat(Files.exists(data.resolve("kafka"))).as("no broker started").isFalse();
        assertThat(Files.exists(settings.reportDir())).isFalse();
    }
}
