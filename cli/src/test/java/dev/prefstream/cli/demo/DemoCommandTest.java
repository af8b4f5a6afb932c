package dev.prefstream.cli.demo;

import dev.prefstream.cli.Main;
import org.junit.jupiter.api.Assumptions;
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

    @Test
    void aFileAsDataDirIsRefusedWithAClearMessageBeforeAnythingStarts(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("data"), "not a directory");
        // was "prefstream demo: <path>" (the bare FileAlreadyExistsException message)
        assertThat(demoErr(file)).isEqualTo("prefstream demo: --data " + file + " is a file, not a directory");
        assertThat(demoErr(file.resolve("sub")))
                .isEqualTo("prefstream demo: --data " + file.resolve("sub") + " cannot be created: Not a directory");
        assertThat(Files.readString(file)).isEqualTo("not a directory");
    }

    private static String demoErr(Path data) {
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute("demo", "--minutes", "1", "--data", data.toString())).isEqualTo(1);
        return err.toString().strip();
    }

    @Test
    void anUnwritableDataDirIsRefusedBeforeTheBasePolicyIsTrained(@TempDir Path dir) throws Exception {
        Path data = Files.createDirectory(dir.resolve("read-only"));
        Assumptions.assumeTrue(data.toFile().setWritable(false, false) && !Files.isWritable(data),
                "cannot make a read-only directory here (running as root)");
        try {
            StringWriter err = new StringWriter();
            CommandLine cli = Main.commandLine();
            cli.setErr(new PrintWriter(err));
            int exit = cli.execute("demo", "--minutes", "1", "--data", data.toString());
            assertThat(exit).isEqualTo(1);
            // was found only after a minute of SFT: "cannot save model to DATA/base-policy.tmp"
            assertThat(err.toString()).contains("--data " + data + " is not writable");
            try (var left = Files.list(data)) {
                assertThat(left).isEmpty();
            }
        } finally {
            data.toFile().setWritable(true, false);
        }
    }

    @Test
    void prepareCreatesMissingDirectoriesAndLeavesNoProbeBehind(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("with space").resolve("data");
        assertThat(DemoDataDir.prepare(data)).isEqualTo(data);
        assertThat(Files.isDirectory(data)).isTrue();
        try (var left = Files.list(data)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void anAbsurdDurationIsRefused(@TempDir Path dir) {
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(err));
        // 1e300 minutes ran, showing a progress clock of "0:00/153722867280912:55"
        int exit = cli.execute("demo", "--minutes", "1e300", "--data", dir.resolve("d").toString());
        assertThat(exit).isEqualTo(64); // a usage error, not the "did not improve" 2 nor a failure
        assertThat(err.toString()).contains("--minutes").contains("at most 10080");
        assertThat(Files.exists(dir.resolve("d"))).isFalse();
    }
}
