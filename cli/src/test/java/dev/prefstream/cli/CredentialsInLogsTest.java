package dev.prefstream.cli;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.prefstream.ingest.config.IngestConfig;
import dev.prefstream.ingest.service.IngestService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Credentials given in a registry URL ({@code user:pass@}) or as {@code basic.auth.user.info} never reach the
 * captured log or the console: the ingest service's start line, and a command that fails on such a URL.
 */
class CredentialsInLogsTest {

    private static final String SECRET = "s3cret-Pa55";

    @TempDir
    Path stateDir;

    @Test
    void theIngestStartLineAndAFailingCommandShowNoPassword() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        root.addAppender(captured);
        try {
            IngestConfig config = IngestConfig.from(Map.of(IngestConfig.BOOTSTRAP_SERVERS, "127.0.0.1:1",
                    IngestConfig.SCHEMA_REGISTRY_URL, "http://alice:" + SECRET + "@127.0.0.1:1",
                    "basic.auth.credentials.source", "USER_INFO", "basic.auth.user.info", "bob:" + SECRET,
                    "state.dir", stateDir.toString()));
            try (IngestService service = new IngestService(config)) {
                service.start();
                service.close(Duration.ofSeconds(10));
            }

            StringWriter err = new StringWriter();
            CommandLine cli = Main.commandLine();
            cli.setErr(new PrintWriter(err));
            int code = cli.execute("registry", "list", "--bootstrap", "127.0.0.1:1", "--registry", "http://alice:" + SECRET + "@local host:1");
            assertThat(code).isNotZero();
            assertThat(err.toString()).doesNotContain(SECRET);

            assertThat(captured.list).isNotEmpty();
            assertThat(captured.list).anyMatch(e -> e.getFormattedMessage().startsWith("starting ingest"))
                    .noneMatch(e -> e.getFormattedMessage().contains(SECRET)
                            || (e.getThrowableProxy() != null && String.valueOf(e.getThrowableProxy().getMessage()).contains(SECRET)));
        } finally {
            root.detachAppender(captured);
        }
    }
}
