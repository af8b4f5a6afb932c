package dev.prefstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Docker is not available here, so compose.yaml is checked statically: the services exist with the images the code
 * is written against, the addresses the apps are given match what Kafka and the registry listen on, and every
 * service command parses with the real picocli command line (so a renamed option fails this test).
 */
class ComposeFileTest {

    private static JsonNode services;

    @BeforeAll
    static void parse() throws IOException {
        Path compose = repoRoot().resolve("compose.yaml");
        JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(compose));
        services = root.path("services");
    }

    private static Path repoRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("compose.yaml"))) {
            dir = dir.getParent();
        }
        assertThat(dir).as("compose.yaml above %s", Path.of("").toAbsolutePath()).isNotNull();
        return dir;
    }

    @Test
    void hasTheInfrastructureAndServiceContainers() {
        List<String> names = new ArrayList<>();
        services.fieldNames().forEachRemaining(names::add);
        assertThat(names).contains("kafka", "schema-registry", "ingest", "trainer", "publisher");
        assertThat(services.path("kafka").path("image").asText()).startsWith("apache/kafka:4.");
        assertThat(services.path("schema-registry").path("image").asText()).startsWith("confluentinc/cp-schema-registry:");
        assertThat(services.path("ingest").path("build").asText()).isEqualTo(".");
        assertThat(Files.exists(repoRoot().resolve("Dockerfile"))).isTrue();
    }

    @Test
    void kafkaIsKraftAndAdvertisesWhatTheAppsAreGiven() {
        JsonNode env = services.path("kafka").path("environment");
        assertThat(env.path("KAFKA_PROCESS_ROLES").asText()).isEqualTo("broker,controller");
        String advertised = env.path("KAFKA_ADVERTISED_LISTENERS").asText();
        for (String app : List.of("ingest", "trainer", "publisher")) {
            String bootstrap = services.path(app).path("environment").path("PREFSTREAM_BOOTSTRAP").asText();
            assertThat(bootstrap).as("%s bootstrap", app).isNotEmpty();
            assertThat(advertised).as("kafka advertises %s's bootstrap", app).contains("://" + bootstrap);
        }
        assertThat(services.path("schema-registry").path("environment").path("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS").asText())
                .isEqualTo(advertised);
    }

    @Test
    void appsPointAtTheRegistryListener() {
        JsonNode registry = services.path("schema-registry");
        String listener = registry.path("environment").path("SCHEMA_REGISTRY_LISTENERS").asText();
        String port = listener.substring(listener.lastIndexOf(':') + 1);
        String host = registry.path("hostname").asText();
        for (String app : List.of("ingest", "trainer", "publisher")) {
            assertThat(services.path(app).path("environment").path("PREFSTREAM_REGISTRY").asText())
                    .as("%s registry url", app).isEqualTo("http://" + host + ":" + port);
        }
    }

    @Test
    void trainerReservesAGpu() {
        JsonNode devices = services.path("trainer").path("deploy").path("resources").path("reservations").path("devices");
        assertThat(devices.isArray()).isTrue();
        assertThat(devices.get(0).path("capabilities").toString()).contains("gpu");
    }

    @Test
    void everyServiceCommandParsesWithTheRealCommandLine() {
        for (String app : List.of("ingest", "trainer", "publisher")) {
            List<String> args = new ArrayList<>();
            services.path(app).path("command").forEach(n -> args.add(n.asText()));
            assertThat(args).as("%s command", app).isNotEmpty();
            CommandLine cli = Main.commandLine();
            assertThat(cli.getSubcommands()).as("subcommands").containsKey(args.get(0));
            CommandLine.ParseResult parsed = cli.parseArgs(args.toArray(String[]::new));
            assertThat(parsed.subcommand().commandSpec().name()).isEqualTo(args.get(0));
        }
    }
}
