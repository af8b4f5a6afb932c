package dev.prefstream.schemas.registry;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * How {@link HttpSchemaRegistryClient} reaches the registry.
 *
 * @param urls           base URLs, tried in turn when one cannot be reached
 * @param userInfo       {@code user:password} for HTTP basic auth, if any
 * @param sslContext     TLS context (truststore, optional keystore) for https URLs; empty uses the JVM default
 * @param connectTimeout TCP/TLS connect timeout per URL
 * @param requestTimeout whole-request timeout per URL (send to last byte of the answer)
 */
public record HttpRegistrySettings(List<URI> urls, Optional<String> userInfo, Optional<SSLContext> sslContext,
                                   Duration connectTimeout, Duration requestTimeout) {
    public HttpRegistrySettings {
        urls = List.copyOf(urls);
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("at least one schema registry URL is needed");
        }
        Objects.requireNonNull(userInfo, "userInfo");
        Objects.requireNonNull(sslContext, "sslContext");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
    }

    /** Plain settings for one URL, no auth, default TLS, 10 s connect / 30 s request timeouts. */
    public static HttpRegistrySettings of(String url) {
        return new HttpRegistrySettings(List.of(URI.create(url)), Optional.empty(), Optional.empty(), Duration.ofSeconds(10), Duration.ofSeconds(30));
    }

    @Override
    public String toString() {
        // never print the password
        return "HttpRegistrySettings[urls=" + urls + ", basicAuth=" + userInfo.isPresent() + ", tls=" + sslContext.isPresent()
                + ", connectTimeout=" + connectTimeout + ", requestTimeout=" + requestTimeout + "]";
    }
}
