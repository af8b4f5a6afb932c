package dev.prefstream.cli.demo;

import dev.prefstream.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class DemoCommandTest {

    @Test
    void demoIsListedFirstAndDocumentsItsOptions() {
        StringWriter top = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(top));
        assertThat(cli.execute("--help")).isZero();
        String commands = top.toString().substring(top.toString().indexOf("Commands:"));
        assertThat(commands.strip().lines().skip(1).findFirst().orElse("")).contains("demo");

        StringWriter help = new StringWriter();
        CommandLine cli2 = Main.commandLine();
        cli2.setOut(new PrintWriter(help));
        assertThat(cli2.execute("demo", "--help")).isZero();
        assertThat(help.toString()).contains("--minutes").contains("--data").contains("./data").contains("--fresh");
    }

    @Test
    void aNonPositiveDurationIsRefusedBeforeAnythingStarts(@TempDir Path dir) {
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute("demo", "--minutes", "0", "--data", dir.resolve("d").toString());
        assertThat(exit).isNotZero();
        assertThat(err.toString()).contains("--minutes");
        assertThat(Files.exists(dir.resolve("d").resolve("kafka"))).isFalse();
    }
}
