package dev.prefstream.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** prefstream's own keys in a --config file: a misspelt section must be an error, not a silently applied default. */
class ConfigFileKeysTest {

    @TempDir
    Path dir;

    private record Run(int exit, String err) {
    }

    private static Run run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(new StringWriter(), true));
        cli.setErr(new PrintWriter(err, true));
        return new Run(cli.execute(args), err.toString());
    }

    @Test
    void aKeyInAnUnknownPrefstreamSectionIsRefusedBeforeAnythingConnects() throws Exception {
        Path config = Files.writeString(dir.resolve("typo.properties"), "prefstream.trainer.pairs-per-step=4\nprefstream.trainr.pairs-per-step=4\n");
        // nothing listens on port 1: the command must fail on the file, not on the broker
        Run r = run("registry", "list", "--bootstrap", "localhost:1", "--registry", "http://localhost:1", "--config", config.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("prefstream registry: --config " + config)
                .contains("unknown setting 'prefstream.trainr.pairs-per-step'; did you mean 'prefstream.trainer.micro-batch-pairs'?")
                .contains("prefstream.trainer.*, prefstream.dpo.*, prefstream.publisher.*")
                .doesNotContain("\tat ");
    }

    @Test
    void aMisspeltKafkaKeyIsWarnedAboutOnceAndAMisspeltDpoKeyNamesTheFile() throws Exception {
        Path config = Files.writeString(dir.resolve("typo-kafka.properties"),
                "boostrap.servers=broker:9092\nsecurity.protocol=PLAINTEXT\nmax.poll.records=10\nproducer.linger.ms=5\n");
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.err;
        KafkaOptions options = new KafkaOptions();
        options.bootstrap = "localhost:1";
        options.registry = "http://localhost:1";
        options.config = config;
        try {
            System.setErr(new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8));
            options.clientConfig();
            options.clientConfig();
        } finally {
            System.setErr(old);
        }
        // was accepted silently, leaving bootstrap.servers at its default
        assertThat(bytes.toString(java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("prefstream: warning: --config " + config
                + ": no Kafka client, Kafka Streams or serde setting is called 'boostrap.servers' (misspelt? it is ignored)" + System.lineSeparator());

        Path dpo = Files.writeString(dir.resolve("typo-dpo.properties"), "prefstream.dpo.betta=0.2\n");
        Run r = run("train", "--model", "tiny", "--out", dir.resolve("out").toString(), "--config", dpo.toString(),
                "--bootstrap", "localhost:1", "--metrics-port", "-1");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).startsWith("prefstream train: --config " + dpo + ": unknown setting 'prefstream.dpo.betta'; did you mean 'prefstream.dpo.beta'?");
    }

    @Test
    void knownSectionsAndPlainClientKeysPassTheCheck() throws Exception {
        Path config = Files.writeString(dir.resolve("ok.properties"),
                "prefstream.trainer.pairs-per-step=4\nprefstream.dpo.learning-rate=1e-3\nprefstream.publisher.max-kl=5\n"
                        + "ingest.dedup.window=PT1H\nsecurity.protocol=PLAINTEXT\n");
        KafkaOptions options = new KafkaOptions();
        options.bootstrap = "localhost:1";
        options.registry = "http://localhost:1";
        options.config = config;
        assertThat(options.clientConfig()).containsKeys("prefstream.trainer.pairs-per-step", "prefstream.dpo.learning-rate",
                "prefstream.publisher.max-kl", "ingest.dedup.window", "security.protocol");
    }
}
