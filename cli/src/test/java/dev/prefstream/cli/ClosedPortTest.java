package dev.prefstream.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every command that talks to Kafka, run against a port nothing listens on: it must come back (it used to block for
 * minutes, one producer timeout per event) with one line naming the address and {@code prefstream up}, exit 69.
 */
class ClosedPortTest {

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

    /** A localhost port that was free a moment ago and that nothing listens on. */
    static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void everyKafkaCommandAgainstAClosedPortSaysSoInOneLineAndExits69() throws Exception {
        Path file = Files.writeString(dir.resolve("nine.jsonl"), "{\"prompt\":\"Hi\",\"chosen\":\"a\",\"rejected\":\"b\"}\n".repeat(9));
        Map<String, List<String>> commands = new LinkedHashMap<>();
        commands.put("import", List.of(file.toString()));
        commands.put("registry", List.of("list"));
        commands.put("ingest", List.of("--metrics-port", "-1"));
        commands.put("train", List.of("--model", "tiny", "--out", dir.resolve("ckpt").toString(), "--metrics-port", "-1", "--publish", "none"));
        commands.put("publish", List.of("--model", "tiny", "--store", dir.resolve("store").toString()));
        commands.put("replay", List.of("--model", "m", "--initial", "tiny", "--from-timestamp", "0", "--out", dir.resolve("replay").toString()));
        commands.put("reprocess", List.of("--from-timestamp", "0", "--to-topic", "reprocessed"));
        assertThat(commands.keySet()).as("every command with the Kafka options is covered").containsExactlyInAnyOrderElementsOf(kafkaCommands());

        String bootstrap = "localhost:" + closedPort();
        for (Map.Entry<String, List<String>> c : commands.entrySet()) {
            List<String> args = new java.util.ArrayList<>(List.of(c.getKey()));
            args.addAll(c.getValue());
            args.addAll(List.of("--bootstrap", bootstrap, "--registry", "http://localhost:" + closedPort()));
            Run r = run(args.toArray(String[]::new));
            assertThat(r.exit()).as(c.getKey() + ": " + r.err()).isEqualTo(ExitCodes.UNAVAILABLE);
            assertThat(r.err().strip()).as(c.getKey())
                    .isEqualTo("prefstream " + c.getKey() + ": no Kafka broker reachable at " + bootstrap + " (no answer within 5 s); start the "
                            + "local stack with `prefstream up`, or point --bootstrap (or $PREFSTREAM_BOOTSTRAP) at your cluster");
        }
        assertThat(dir.resolve("ckpt")).doesNotExist();
    }

    @Test
    void usageErrorsHaveTheirOwnCodeAndOneLine() {
        Run minutes = run("demo", "--minutes", "abc");
        assertThat(minutes.exit()).isEqualTo(ExitCodes.USAGE).isNotEqualTo(ExitCodes.NO_RESULT);
        assertThat(minutes.err()).startsWith("prefstream demo: Invalid value for option '--minutes': 'abc' is not a double")
                .contains("Try 'prefstream demo --help'").doesNotContain("Usage:");
        Run what = run("registry", "lsit", "--bootstrap", "localhost:" + closedPort());
        assertThat(what.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(what.err()).startsWith("prefstream registry: expected 'list' or 'latest', got 'lsit'");
        Run missing = run("import");
        assertThat(missing.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(missing.err()).contains("Missing required parameter: 'FILE.jsonl'");
        Run unknown = run("ingest", "--metrics-prot", "1");
        assertThat(unknown.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(unknown.err()).contains("Unknown options: '--metrics-prot'").contains("--metrics-port");
    }

    @Test
    void theExitCodeTableIsInHelpAndInTheReadme() throws Exception {
        StringWriter out = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        assertThat(cli.execute("--help")).isZero();
        assertThat(ExitCodes.TABLE.keySet()).containsExactly(0, 1, 2, 64, 69, 130);
        String readme = Files.readString(readme());
        for (Map.Entry<Integer, String> row : ExitCodes.TABLE.entrySet()) {
            assertThat(out.toString()).contains(String.format("%3d", row.getKey()) + "   " + row.getValue().substring(0, Math.min(20, row.getValue().length())));
            assertThat(readme).as("README row for exit code " + row.getKey()).containsPattern("\\n\\| " + row.getKey() + " \\| [^|\\n]+ \\|");
        }
    }

    private static Path readme() {
        Path here = Path.of("").toAbsolutePath();
        while (!Files.isRegularFile(here.resolve("README.md")) || !Files.isDirectory(here.resolve("cli"))) {
            here = here.getParent();
        }
        return here.resolve("README.md");
    }

    /** Names of the subcommands that have the {@code @Mixin KafkaOptions}. */
    private static List<String> kafkaCommands() {
        return Main.subcommands().stream().filter(c -> {
            for (Field f : c.getClass().getDeclaredFields()) {
                if (f.getType() == KafkaOptions.class) {
                    return true;
                }
            }
            return false;
        }).map(c -> c.getClass().getAnnotation(CommandLine.Command.class).name()).toList();
    }
}
