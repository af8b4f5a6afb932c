package dev.prefstream.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.prefstream.schemas.serde.AvroSerdeConfig;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** https registry: the client trusts it through schema.registry.ssl.truststore.* and refuses it without. One keytool run (EC key, fast). */
class RegistryTlsTest {

    private static final char[] PASSWORD = "changeit".toCharArray();

    @TempDir
    Path dir;

    @Test
    void httpsRegistryIsReachedWithTheConfiguredTruststoreOnly() throws Exception {
        Path serverStore = dir.resolve("server.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "registry", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost",
                "-keystore", serverStore.toString(), "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).redirectOutput(dir.resolve("keytool.log").toFile()).start();
        assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(keytool.exitValue()).as(Files.readString(dir.resolve("keytool.log"))).isZero();

        KeyStore server = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(serverStore)) {
            server.load(in, PASSWORD);
        }
        // truststore (JKS, Confluent's default type) holding just the registry's self-signed certificate
        KeyStore trust = KeyStore.getInstance("JKS");
        trust.load(null, null);
        trust.setCertificateEntry("registry", server.getCertificate("registry"));
        Path truststore = dir.resolve("trust.jks");
        try (OutputStream out = Files.newOutputStream(truststore)) {
            trust.store(out, PASSWORD);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(server, PASSWORD);
        SSLContext serverContext = SSLContext.getInstance("TLS");
        serverContext.init(kmf.getKeyManagers(), null, null);

        try (RegistryStub stub = RegistryStub.https(serverContext)) {
            stub.on("GET", "/subjects", 200, "[\"over-tls\"]");

            SchemaRegistryClient trusted = SchemaRegistryClients.forUrl(new AvroSerdeConfig(Map.of(
                    AvroSerdeConfig.SCHEMA_REGISTRY_URL, stub.url(),
                    AvroSerdeConfig.SSL_TRUSTSTORE_LOCATION, truststore.toString(),
                    AvroSerdeConfig.SSL_TRUSTSTORE_PASSWORD, "changeit")));
            assertThat(trusted.subjects()).isEqualTo(List.of("over-tls"));

            SchemaRegistryClient untrusted = SchemaRegistryClients.forUrl(AvroSerdeConfig.forUrl(stub.url()));
            assertThatThrownBy(untrusted::subjects).isInstanceOf(RegistryUnavailableException.class)
                    .hasMessageContaining(stub.url())
                    .hasMessageContaining("SSLHandshakeException")
                    .hasMessageContaining("schema.registry.ssl.truststore");
            assertThat(stub.requests).hasSize(1);
        }

        assertThatThrownBy(() -> SchemaRegistryClients.forUrl(new AvroSerdeConfig(Map.of(
                AvroSerdeConfig.SCHEMA_REGISTRY_URL, "https://127.0.0.1:1",
                AvroSerdeConfig.SSL_TRUSTSTORE_LOCATION, truststore.toString(),
                AvroSerdeConfig.SSL_TRUSTSTORE_PASSWORD, "wrong"))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(AvroSerdeConfig.SSL_TRUSTSTORE_LOCATION);
    }
}
