package dev.prefstream.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MainTest {

    /**
     * picocli passes every description through String.format: a bare '%' (as in "10% duplicates") printed three
     * "[picocli WARN] Could not format" lines before `bench ingest --help`. Every description of every command must
     * format cleanly.
     */
    @Test
    void everyHelpDescriptionIsAValidFormatString() {
        // the annotations' raw texts, as picocli formats them (its parsed descriptions are already formatted)
        java.util.Set<Class<?>> classes = new java.util.LinkedHashSet<>();
        java.util.Deque<CommandLine> todo = new java.util.ArrayDeque<>(java.util.List.of(Main.commandLine()));
        while (!todo.isEmpty()) {
            CommandLine c = todo.pop();
            todo.addAll(c.getSubcommands().values());
            classes.add(c.getCommandSpec().userObject().getClass());
            c.getCommandSpec().mixins().values().forEach(m -> classes.add(m.userObject().getClass()));
        }
        java.util.List<String> lines = new java.util.ArrayList<>();
        for (Class<?> k : classes) {
            CommandLine.Command command = k.getAnnotation(CommandLine.Command.class);
            if (command != null) {
                lines.addAll(java.util.List.of(command.description()));
            }
            for (java.lang.reflect.Field f : k.getDeclaredFields()) {
                CommandLine.Option o = f.getAnnotation(CommandLine.Option.class);
                CommandLine.Parameters p = f.getAnnotation(CommandLine.Parameters.class);
                lines.addAll(java.util.List.of(o != null ? o.description() : p != null ? p.description() : new String[0]));
            }
        }
        java.util.List<String> bad = new java.util.ArrayList<>();
        for (String line : lines) {
            try {
                String.format(line.replaceAll("\\$\\{[^}]*}", "x"));
            } catch (java.util.IllegalFormatException e) {
                bad.add(line);
            }
        }
        assertThat(classes).hasSizeGreaterThan(14);
        assertThat(lines).hasSizeGreaterThan(100);
        assertThat(bad).isEmpty();
    }

    @Test
    void topLevelHelpListsUpAndUpHasItsOwnHelp() {
        StringWriter out = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute("--help")).isZero();
        assertThat(out.toString()).contains("prefstream").contains("up");

        StringWriter upOut = new StringWriter();
        CommandLine cli2 = Main.commandLine();
        cli2.setOut(new PrintWriter(upOut));
        assertThat(cli2.execute("up", "--help")).isZero();
        assertThat(upOut.toString()).contains("--data").contains("./data");
    }

    @Test
    void aFailingCommandExplainsItselfInOneLineAndExitsWithOne(@TempDir Path dir) throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("plain-file"), "x");
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute("up", "--data", notADirectory.toString(), "--port", "0", "--controller-port", "0", "--registry-port", "0");
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).startsWith("prefstream up: cannot create broker data directory " + notADirectory.resolve("kafka"))
                .doesNotContain("\tat ");
    }

    @Test
    void aSecondUpSaysInOneLineWhichPortIsTakenAndStartsNothing(@TempDir Path dir) throws Exception {
        try (java.net.ServerSocket firstUp = new java.net.ServerSocket()) {
            firstUp.setReuseAddress(true);
            firstUp.bind(new java.net.InetSocketAddress("localhost", 0));
            int taken = firstUp.getLocalPort();
            StringWriter err = new StringWriter();
            CommandLine cli = Main.commandLine();
            cli.setErr(new PrintWriter(err));
            // was 129 lines of stack trace ending in "Socket server failed to bind to localhost:9093: Address already in use"
            int exit = cli.execute("up", "--data", dir.toString(), "--port", "0", "--controller-port", Integer.toString(taken), "--registry-port", "0");
            assertThat(exit).isEqualTo(1);
            assertThat(err.toString().strip()).isEqualTo("prefstream up: port " + taken + " (the KRaft controller) on localhost is already in use: "
                    + "another `prefstream up` or a Kafka broker is running there. Use that one (every command's defaults point at it), "
                    + "stop it, or start this one with --controller-port N (and another --data)");
            assertThat(dir.resolve("kafka")).doesNotExist();
        }
    }

    @Test
    void theConsoleLoggingConfigParsesAndKeepsClientRetryStormsOut() throws Exception {
        // an unparsable logback.xml (e.g. "--" inside a comment) silently falls back to DEBUG logging of everything
        var factory = javax.xml.parsers.DocumentBuilderFactory.newInstance();
        org.w3c.dom.Document doc;
        try (var in = Main.class.getResourceAsStream("/logback.xml")) {
            doc = factory.newDocumentBuilder().parse(in);
        }
        Map<String, String> levels = new java.util.HashMap<>();
        var loggers = doc.getElementsByTagName("logger");
        for (int i = 0; i < loggers.getLength(); i++) {
            var e = (org.w3c.dom.Element) loggers.item(i);
            levels.put(e.getAttribute("name"), e.getAttribute("level"));
        }
        // "Connection to node -1 could not be established" once a second while a broker is away: 1,126 lines in one import
        assertThat(levels).containsEntry("org.apache.kafka.clients.NetworkClient", "ERROR")
                .containsEntry("ai.djl.util.cuda.CudaUtils", "ERROR");
    }

    @Test
    void kafkaOptionsDefaultAndMergeTheConfigFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("client.properties");
        Files.writeString(file, "security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\nbootstrap.servers=ignored:1\n");

        KafkaOptions defaults = parse();
        assertThat(defaults.clientConfig()).containsEntry("bootstrap.servers", "localhost:9092")
                .containsEntry("schema.registry.url", "http://localhost:8081");

        KafkaOptions custom = parse("--bootstrap", "broker:9095", "--registry", "https://sr:8085", "--config", file.toString());
        Map<String, Object> config = custom.clientConfig();
        assertThat(config).containsEntry("bootstrap.servers", "broker:9095")
                .containsEntry("schema.registry.url", "https://sr:8085")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "PLAIN");
        assertThat(custom.clientProperties().getProperty("security.protocol")).isEqualTo("SASL_SSL");

        KafkaOptions missing = parse("--config", dir.resolve("nope.properties").toString());
        assertThatThrownBy(missing::clientConfig).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nope.properties");
    }

    private static KafkaOptions parse(String... args) {
        Holder holder = new Holder();
        new CommandLine(holder).parseArgs(args);
        return holder.kafka;
    }

    @CommandLine.Command(name = "holder")
    static final class Holder {
        @CommandLine.Mixin
        KafkaOptions kafka;
    }
}
