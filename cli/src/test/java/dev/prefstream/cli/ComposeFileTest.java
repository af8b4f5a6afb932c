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
        assertThat(names).contains("kafka", "kafka-acls", "schema-registry", "ingest", "trainer", "publisher");
        assertThat(services.path("kafka").path("image").asText()).startsWith("apache/kafka:4.");
        assertThat(services.path("schema-registry").path("image").asText()).startsWith("confluentinc/cp-schema-registry:");
        assertThat(services.path("ingest").path("build").asText()).isEqualTo(".");
        assertThat(Files.exists(repoRoot().resolve("Dockerfile"))).isTrue();
    }

    @Test
    void dockerfileCopiesEveryReactorModule() throws IOException {
        // the image builds the reactor from the copied folders: a module added to pom.xml but not copied breaks it
        List<String> modules = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<module>([^<]+)</module>")
                .matcher(Files.readString(repoRoot().resolve("pom.xml")));
        while (m.find()) {
            modules.add(m.group(1));
        }
        assertThat(modules).contains("schemas", "devstack", "checkpoint", "cli");
        List<String> dockerfile = Files.readAllLines(repoRoot().resolve("Dockerfile"));
        for (String module : modules) {
            assertThat(dockerfile).as("Dockerfile copies %s", module).contains("COPY " + module + " " + module);
        }
    }

    private static java.util.Properties properties(String relative) throws IOException {
        java.util.Properties p = new java.util.Properties();
        try (var in = Files.newBufferedReader(repoRoot().resolve(relative))) {
            p.load(in);
        }
        return p;
    }

    @Test
    void kafkaIsKraftAndAdvertisesWhatTheAppsAreGiven() throws IOException {
        java.util.Properties server = properties("deploy/kafka/server.properties");
        assertThat(server.getProperty("process.roles")).isEqualTo("broker,controller");
        assertThat(services.path("kafka").path("command").toString()).contains("/deploy/kafka/server.properties");
        String advertised = server.getProperty("advertised.listeners");
        for (String app : List.of("ingest", "trainer", "publisher")) {
            String bootstrap = services.path(app).path("environment").path("PREFSTREAM_BOOTSTRAP").asText();
            assertThat(bootstrap).as("%s bootstrap", app).isNotEmpty();
            assertThat(advertised).as("kafka advertises %s's bootstrap", app).contains("://" + bootstrap);
        }
        String store = services.path("schema-registry").path("environment").path("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS").asText();
        assertThat(advertised).contains(store.substring(store.indexOf("://")));
    }

    @Test
    void securityIsOnSaslScramPerServicePrincipalWithAclsRegistryAuthAndFewPorts() throws IOException {
        java.util.Properties server = properties("deploy/kafka/server.properties");
        // every listener a client can reach is SASL; only the (unpublished) controller listener is plaintext
        for (String mapping : server.getProperty("listener.security.protocol.map").split(",")) {
            String[] kv = mapping.split(":");
            assertThat(kv[1]).as(mapping).isEqualTo(kv[0].equals("CONTROLLER") ? "PLAINTEXT" : "SASL_PLAINTEXT");
        }
        assertThat(server.getProperty("sasl.enabled.mechanisms")).isEqualTo("SCRAM-SHA-512");
        assertThat(server.getProperty("authorizer.class.name")).endsWith("StandardAuthorizer");
        assertThat(server.getProperty("allow.everyone.if.no.acl.found")).isEqualTo("false");
        assertThat(server.getProperty("auto.create.topics.enable")).isEqualTo("false");

        // published ports: the SASL listener and the registry, nothing else
        List<String> published = new ArrayList<>();
        services.fields().forEachRemaining(e -> e.getValue().path("ports").forEach(p -> published.add(e.getKey() + "=" + p.asText())));
        assertThat(published).containsExactlyInAnyOrder("kafka=9092:9092", "schema-registry=8081:8081");
        assertThat(server.getProperty("listeners")).contains("EXTERNAL://:9092").doesNotContain(":9092,CONTROLLER://:9092");

        String kafkaCommand = services.path("kafka").path("command").toString();
        String acls = Files.readString(repoRoot().resolve("deploy/kafka/acls.sh"));
        for (String app : List.of("ingest", "trainer", "publisher")) {
            JsonNode env = services.path(app).path("environment");
            String configFile = env.path("PREFSTREAM_CONFIG").asText();
            assertThat(configFile).as("%s --config", app).isEqualTo("/deploy/clients/" + app + ".properties");
            java.util.Properties client = properties("deploy/clients/" + app + ".properties");
            assertThat(client.getProperty("security.protocol")).isEqualTo("SASL_PLAINTEXT");
            assertThat(client.getProperty("sasl.mechanism")).isEqualTo("SCRAM-SHA-512");
            assertThat(client.getProperty("sasl.jaas.config")).contains("username=\"" + app + "\"").contains("password=\"${env:PREFSTREAM_KAFKA_PASSWORD}\"");
            assertThat(client.getProperty("basic.auth.user.info")).isEqualTo(app + ":${env:PREFSTREAM_REGISTRY_PASSWORD}");
            assertThat(client.getProperty("config.providers.env.class")).endsWith("EnvVarConfigProvider");
            // secrets come from .env through compose interpolation, never from the repository
            assertThat(env.path("PREFSTREAM_KAFKA_PASSWORD").asText()).startsWith("${").contains(":?");
            assertThat(env.path("PREFSTREAM_REGISTRY_PASSWORD").asText()).startsWith("${").contains(":?");
            assertThat(kafkaCommand).as("SCRAM user %s", app).contains("name=" + app + ",");
            assertThat(acls).contains("User:" + app);
        }
        // least privilege: who may write what
        assertThat(aclLines(acls, "ingest")).anyMatch(l -> l.contains("Read") && l.contains("--topic preference-events"))
                .anyMatch(l -> l.contains("Write") && l.contains("--topic preference-pairs"))
                .noneMatch(l -> l.contains("model-registry") || l.contains("model-candidates"));
        assertThat(aclLines(acls, "trainer")).anyMatch(l -> l.contains("Read") && l.contains("--topic preference-pairs"))
                .anyMatch(l -> l.contains("Write") && l.contains("--topic model-candidates"))
                .noneMatch(l -> l.contains("Write") && l.contains("model-registry"))
                .noneMatch(l -> l.contains("preference-events "));
        assertThat(aclLines(acls, "publisher")).anyMatch(l -> l.contains("Write") && l.contains("--topic model-registry"))
                .noneMatch(l -> l.contains("preference-events"));
        assertThat(aclLines(acls, "serving")).allMatch(l -> l.contains("--operation Read --operation Describe --topic model-registry"));

        JsonNode registry = services.path("schema-registry").path("environment");
        assertThat(registry.path("SCHEMA_REGISTRY_AUTHENTICATION_METHOD").asText()).isEqualTo("BASIC");
        assertThat(registry.path("SCHEMA_REGISTRY_KAFKASTORE_SECURITY_PROTOCOL").asText()).isEqualTo("SASL_PLAINTEXT");
        assertThat(registry.path("SCHEMA_REGISTRY_KAFKASTORE_SASL_JAAS_CONFIG").asText()).contains("username=\"registry\"");
        assertThat(Files.readString(repoRoot().resolve("compose.yaml"))).doesNotContainPattern("(?i)password=\"[^$\"]");
        assertThat(properties("deploy/clients/publisher.properties").getProperty("prefstream.publisher.signing-key-file")).isNotBlank();
    }

    private static List<String> aclLines(String script, String principal) {
        return script.lines().filter(l -> l.contains("--allow-principal User:" + principal + " ")).toList();
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
