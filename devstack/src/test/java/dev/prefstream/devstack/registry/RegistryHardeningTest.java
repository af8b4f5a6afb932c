package dev.prefstream.devstack.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prefstream.devstack.testing.KafkaClusterExtension;
import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.serde.AvroDeserializer;
import dev.prefstream.schemas.serde.AvroSerdeConfig;
import dev.prefstream.schemas.serde.AvroSerializer;
import dev.prefstream.schemas.serde.SerdeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The embedded registry against hostile HTTP clients: oversized bodies (declared and chunked), requests without a
 * JSON content type, idle and trickling sockets while another client is served, and basic authentication with
 * read-only and admin users; valid requests after each are answered.
 */
class RegistryHardeningTest {

    @RegisterExtension
    static final KafkaClusterExtension kafka = new KafkaClusterExtension(1, Map.of());

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final String CT = "application/vnd.schemaregistry.v1+json";
    private static EmbeddedSchemaRegistry open;
    private static EmbeddedSchemaRegistry guarded;

    @BeforeAll
    static void start() {
        EmbeddedSchemaRegistry.Settings settings = new EmbeddedSchemaRegistry.Settings(kafka.clientConfig(), "localhost", 0,
                TopicLayout.SCHEMAS + "-hardening", Duration.ofSeconds(30));
        open = EmbeddedSchemaRegistry.start(settings, EmbeddedSchemaRegistry.Options.defaults().withMaxBodyBytes(64 * 1024));
        guarded = EmbeddedSchemaRegistry.start(settings, EmbeddedSchemaRegistry.Options.defaults().withAuth(RegistryAuth.of(
                Map.of("reader", "r-pass", "admin", "s3cret-admin"), Map.of("reader", RegistryAuth.Role.READ, "admin", RegistryAuth.Role.ADMIN))));
    }

    @AfterAll
    static void stop() {
        open.close();
        guarded.close();
    }

    private static HttpResponse<String> send(String base, String method, String path, String body, String contentType, String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (auth != null) {
            b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(auth.getBytes(StandardCharsets.UTF_8)));
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String schemaBody(String name) {
        return JSON.createObjectNode().put("schema", "{\"type\":\"record\",\"name\":\"" + name + "\",\"fields\":[]}").toString();
    }

    private static String rawExchange(int port, String request) throws Exception {
        try (Socket s = new Socket("localhost", port)) {
            s.setSoTimeout(60_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder answer = new StringBuilder();
            byte[] buf = new byte[4096];
            int n;
            while (!answer.toString().endsWith("}") && (n = in.read(buf)) > 0) { // the answer's JSON ends with '}'
                answer.append(new String(buf, 0, n, StandardCharsets.US_ASCII));
            }
            return answer.toString();
        }
    }

    @Test
    void aDeclared64MiBBodyIsRefusedUnreadAndAChunkedOneOverTheLimitTooThenValidRequestsAreServed() throws Exception {
        String answer = rawExchange(open.port(), "POST /subjects/big-value/versions HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + CT
                + "\r\nContent-Length: " + (64L * 1024 * 1024) + "\r\n\r\n{\"schema\":\"");
        assertThat(answer).startsWith("HTTP/1.1 413").contains("\"error_code\":413");

        // a chunked body over the limit is drained, not left in the socket, so its client reads the 413 every time
        // instead of a reset connection (the client is still sending when the answer is ready)
        for (int size : new int[] {200 * 1024, 900 * 1024, 65 * 1024}) {
            for (int attempt = 0; attempt < 10; attempt++) {
                HttpRequest chunked = HttpRequest.newBuilder(URI.create(open.url() + "/subjects/big-value/versions")).header("Content-Type", CT)
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(new byte[size]))).build();
                HttpResponse<String> refused = HTTP.send(chunked, HttpResponse.BodyHandlers.ofString());
                assertThat(refused.statusCode()).as("%d bytes, attempt %d", size, attempt).isEqualTo(413);
                assertThat(refused.body()).contains("\"error_code\":413").contains("more than 65536 bytes");
            }
        }

        assertThat(send(open.url(), "POST", "/subjects/ok-value/versions", schemaBody("Ok"), CT, null).statusCode()).isEqualTo(200);
        assertThat(send(open.url(), "GET", "/subjects/ok-value/versions", null, null, null).body()).isEqualTo("[1]");
    }

    @Test
    void aPostWithoutAJsonContentTypeIsRefused415AndRegistersNothing() throws Exception {
        HttpResponse<String> none = send(open.url(), "POST", "/subjects/form-value/versions", schemaBody("Form"), null, null);
        assertThat(none.statusCode()).isEqualTo(415);
        assertThat(none.body()).contains("no Content-Type");
        assertThat(send(open.url(), "POST", "/subjects/form-value/versions", schemaBody("Form"), "application/octet-stream", null).statusCode()).isEqualTo(415);
        assertThat(send(open.url(), "POST", "/subjects/form-value/versions", schemaBody("Form"), "text/plain", null).statusCode()).isEqualTo(415);
        assertThat(send(open.url(), "GET", "/subjects/form-value/versions", null, null, null).statusCode()).isEqualTo(404);
    }

    @Test
    void idleAndTricklingSocketsDoNotKeepAnotherClientFromBeingServed() throws Exception {
        List<Socket> hostile = new ArrayList<>();
        try {
            for (int i = 0; i < 12; i++) { // more than the 8 request threads
                Socket s = new Socket("localhost", open.port());
                if (i % 2 == 1) {
                    // a request line and half the headers, then nothing
                    s.getOutputStream().write("POST /subjects/x/versions HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{\"sch".getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                }
                hostile.add(s);
            }
            HttpResponse<String> served = send(open.url(), "GET", "/subjects", null, null, null);
            assertThat(served.statusCode()).isEqualTo(200);
            assertThat(send(open.url(), "POST", "/subjects/during-value/versions", schemaBody("During"), CT, null).statusCode()).isEqualTo(200);
        } finally {
            for (Socket s : hostile) {
                s.close();
            }
        }
    }

    @Test
    void basicAuthWithReadOnlyAndAdminRoles() throws Exception {
        String base = guarded.url();
        assertThat(send(base, "GET", "/subjects", null, null, null).statusCode()).isEqualTo(401);
        assertThat(send(base, "GET", "/subjects", null, null, "reader:wrong").statusCode()).isEqualTo(401);
        assertThat(send(base, "GET", "/subjects", null, null, "nobody:r-pass").statusCode()).isEqualTo(401);
        assertThat(send(base, "GET", "/subjects", null, null, "reader:r-pass").statusCode()).isEqualTo(200);
        HttpResponse<String> forbidden = send(base, "POST", "/subjects/auth-value/versions", schemaBody("Auth"), CT, "reader:r-pass");
        assertThat(forbidden.statusCode()).isEqualTo(403);
        assertThat(forbidden.body()).doesNotContain("r-pass");
        assertThat(send(base, "POST", "/subjects/auth-value/versions", schemaBody("Auth"), CT, "admin:s3cret-admin").statusCode()).isEqualTo(200);
        assertThat(send(base, "POST", "/subjects/auth-value", schemaBody("Auth"), CT, "reader:r-pass").statusCode()).as("lookup is a read").isEqualTo(200);
        assertThat(send(base, "DELETE", "/subjects/auth-value", null, null, "reader:r-pass").statusCode()).isEqualTo(403);

        // the serde speaks it: an admin producer registers, a read-only consumer reads; a credentials-bearing URL
        // that fails never shows its password
        Map<String, Object> producer = new HashMap<>(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, base,
                "basic.auth.credentials.source", "USER_INFO", "basic.auth.user.info", "admin:s3cret-admin"));
        Map<String, Object> consumer = new HashMap<>(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL,
                base.replace("http://", "http://reader:r-pass@"), "basic.auth.credentials.source", "URL"));
        try (AvroSerializer<PreferencePair> s = new AvroSerializer<>(); AvroDeserializer<PreferencePair> d = new AvroDeserializer<>(PreferencePair.class)) {
            s.configure(producer, false);
            d.configure(consumer, false);
            PreferencePair pair = dev.prefstream.schemas.serde.AvroSamplesAccess.pair();
            assertThat(d.deserialize("auth-pairs", s.serialize("auth-pairs", pair))).isEqualTo(pair);
        }
        Map<String, Object> wrong = new HashMap<>(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, base.replace("http://", "http://admin:not-the-pass@"),
                "basic.auth.credentials.source", "URL"));
        try (AvroSerializer<PreferencePair> s = new AvroSerializer<>()) {
            s.configure(wrong, false);
            assertThatThrownBy(() -> s.serialize("auth-pairs-2", dev.prefstream.schemas.serde.AvroSamplesAccess.pair()))
                    .isInstanceOf(SerdeException.class).hasMessageContaining("401").hasMessageNotContaining("not-the-pass");
        }
        try (AvroSerializer<PreferencePair> s = new AvroSerializer<>()) {
            assertThatThrownBy(() -> s.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "http://admin:s3cret-admin@local host:1"), false))
                    .hasMessageNotContaining("s3cret-admin");
        }
    }
}
