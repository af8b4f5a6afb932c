package dev.prefstream.schemas.serde;

import dev.prefstream.schemas.registry.HttpRegistrySettings;
import dev.prefstream.schemas.registry.RegistryTls;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * Typed, validated configuration of {@link AvroSerializer}/{@link AvroDeserializer} and the registry client they
 * build. Key names are Confluent's, so the same producer/consumer/streams properties work with Confluent's serde.
 * Unknown keys (bootstrap.servers and the rest of a client's config) are ignored.
 */
public final class AvroSerdeConfig extends AbstractConfig {

    /** Comma-separated registry base URLs tried in turn, or {@code mock://<scope>} for a shared in-memory registry (tests). */
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    /** Register the record's schema under its subject on first use (true) or require it to be registered already (false). */
    public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";
    /** Serialize with the subject's latest registered schema instead of the record's own (records are converted by Avro resolution). */
    public static final String USE_LATEST_VERSION = "use.latest.version";
    /** Seconds the latest version of a subject is cached when use.latest.version is on; -1 caches for the serializer's lifetime. */
    public static final String LATEST_CACHE_TTL_SEC = "latest.cache.ttl.sec";
    /** Subject naming for keys: TopicName (default), RecordName, TopicRecordName, or Confluent's strategy class names. */
    public static final String KEY_SUBJECT_NAME_STRATEGY = "key.subject.name.strategy";
    /** Subject naming for values: TopicName (default), RecordName, TopicRecordName, or Confluent's strategy class names. */
    public static final String VALUE_SUBJECT_NAME_STRATEGY = "value.subject.name.strategy";
    /** Where basic-auth credentials come from: USER_INFO (basic.auth.user.info), URL (user:pass@ in the URL), or empty for none. */
    public static final String BASIC_AUTH_CREDENTIALS_SOURCE = "basic.auth.credentials.source";
    /** {@code user:password} for registry basic auth when the source is USER_INFO. */
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
    /** Truststore file with the CA(s) of an https registry; empty uses the JVM's default CAs. */
    public static final String SSL_TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";
    /** Password of the truststore. */
    public static final String SSL_TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";
    /** Type of the truststore: JKS (default) or PKCS12. */
    public static final String SSL_TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";
    /** Keystore file with a client certificate for mutual TLS; empty for none. */
    public static final String SSL_KEYSTORE_LOCATION = "schema.registry.ssl.keystore.location";
    /** Password of the keystore. */
    public static final String SSL_KEYSTORE_PASSWORD = "schema.registry.ssl.keystore.password";
    /** Type of the keystore: JKS (default) or PKCS12. */
    public static final String SSL_KEYSTORE_TYPE = "schema.registry.ssl.keystore.type";
    /** Password of the private key in the keystore (defaults to the keystore password). */
    public static final String SSL_KEY_PASSWORD = "schema.registry.ssl.key.password";
    /** Milliseconds to open a connection to one registry URL. */
    public static final String HTTP_CONNECT_TIMEOUT_MS = "http.connect.timeout.ms";
    /** Milliseconds for one whole registry request (send to last byte of the answer) per URL. */
    public static final String HTTP_READ_TIMEOUT_MS = "http.read.timeout.ms";
    /** Deserialize into the generated class named by the writer schema's full name (instead of GenericRecord). */
    public static final String SPECIFIC_AVRO_READER = "specific.avro.reader";
    /** Generated class that keys are deserialized into (its schema is the reader schema). */
    public static final String SPECIFIC_AVRO_KEY_TYPE = "specific.avro.key.type";
    /** Generated class that values are deserialized into (its schema is the reader schema). */
    public static final String SPECIFIC_AVRO_VALUE_TYPE = "specific.avro.value.type";
    /** Generic records carry logical types as Java types (Instant, LocalDate, ...) instead of raw long/int. */
    public static final String AVRO_USE_LOGICAL_TYPE_CONVERTERS = "avro.use.logical.type.converters";

    /** Credential sources accepted by {@link #BASIC_AUTH_CREDENTIALS_SOURCE}. */
    public enum CredentialsSource { NONE, USER_INFO, URL }

    private static final ConfigDef.Validator STRATEGY = (name, value) -> {
        try {
            SubjectNameStrategy.parse(String.valueOf(value));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(name, value, e.getMessage());
        }
    };

    private static final ConfigDef.Validator SOURCE = (name, value) -> credentialsSource(name, String.valueOf(value));

    /** The definition of every key: types, defaults, validators, docs. */
    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(SCHEMA_REGISTRY_URL, Type.LIST, List.of(), Importance.HIGH,
                    "Comma-separated registry base URLs tried in turn, or mock://<scope> for a shared in-memory registry (tests). Required unless a client is passed in.")
            .define(AUTO_REGISTER_SCHEMAS, Type.BOOLEAN, true, Importance.MEDIUM, "Register the record's schema on first use.")
            .define(USE_LATEST_VERSION, Type.BOOLEAN, false, Importance.MEDIUM, "Serialize with the subject's latest registered schema.")
            .define(LATEST_CACHE_TTL_SEC, Type.LONG, -1L, ConfigDef.Range.atLeast(-1), Importance.LOW, "Cache TTL of the latest version; -1 forever.")
            .define(KEY_SUBJECT_NAME_STRATEGY, Type.STRING, SubjectNameStrategy.TOPIC_NAME.shortName(), STRATEGY, Importance.MEDIUM, "Subject naming for keys.")
            .define(VALUE_SUBJECT_NAME_STRATEGY, Type.STRING, SubjectNameStrategy.TOPIC_NAME.shortName(), STRATEGY, Importance.MEDIUM, "Subject naming for values.")
            .define(BASIC_AUTH_CREDENTIALS_SOURCE, Type.STRING, "", SOURCE, Importance.MEDIUM, "USER_INFO, URL or empty.")
            .define(BASIC_AUTH_USER_INFO, Type.PASSWORD, null, Importance.MEDIUM, "user:password for basic auth.")
            .define(SSL_TRUSTSTORE_LOCATION, Type.STRING, "", Importance.MEDIUM, "Truststore file for https.")
            .define(SSL_TRUSTSTORE_PASSWORD, Type.PASSWORD, null, Importance.MEDIUM, "Truststore password.")
            .define(SSL_TRUSTSTORE_TYPE, Type.STRING, "JKS", Importance.LOW, "Truststore type.")
            .define(SSL_KEYSTORE_LOCATION, Type.STRING, "", Importance.MEDIUM, "Keystore file for mutual TLS.")
            .define(SSL_KEYSTORE_PASSWORD, Type.PASSWORD, null, Importance.MEDIUM, "Keystore password.")
            .define(SSL_KEYSTORE_TYPE, Type.STRING, "JKS", Importance.LOW, "Keystore type.")
            .define(SSL_KEY_PASSWORD, Type.PASSWORD, null, Importance.LOW, "Key password.")
            .define(HTTP_CONNECT_TIMEOUT_MS, Type.INT, 10_000, ConfigDef.Range.atLeast(1), Importance.LOW, "Connect timeout per URL.")
            .define(HTTP_READ_TIMEOUT_MS, Type.INT, 30_000, ConfigDef.Range.atLeast(1), Importance.LOW, "Request timeout per URL.")
            .define(SPECIFIC_AVRO_READER, Type.BOOLEAN, false, Importance.MEDIUM, "Deserialize into the writer's generated class.")
            .define(SPECIFIC_AVRO_KEY_TYPE, Type.CLASS, null, Importance.MEDIUM, "Generated class for keys.")
            .define(SPECIFIC_AVRO_VALUE_TYPE, Type.CLASS, null, Importance.MEDIUM, "Generated class for values.")
            .define(AVRO_USE_LOGICAL_TYPE_CONVERTERS, Type.BOOLEAN, false, Importance.LOW, "Logical-type conversions for generic records.");

    public AvroSerdeConfig(Map<String, ?> props) {
        super(DEFINITION, props, false);
    }

    /** Shorthand for tests: just the registry URL. */
    public static AvroSerdeConfig forUrl(String url) {
        return new AvroSerdeConfig(Map.of(SCHEMA_REGISTRY_URL, url));
    }

    /** The configured registry URLs, trimmed, empty entries dropped. */
    public List<String> registryUrls() {
        return getList(SCHEMA_REGISTRY_URL).stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    public boolean autoRegisterSchemas() {
        return getBoolean(AUTO_REGISTER_SCHEMAS);
    }

    public boolean useLatestVersion() {
        return getBoolean(USE_LATEST_VERSION);
    }

    /** Empty means cache for the serializer's lifetime. */
    public Optional<Duration> latestCacheTtl() {
        long s = getLong(LATEST_CACHE_TTL_SEC);
        return s < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(s));
    }

    public SubjectNameStrategy subjectNameStrategy(boolean isKey) {
        return SubjectNameStrategy.parse(getString(isKey ? KEY_SUBJECT_NAME_STRATEGY : VALUE_SUBJECT_NAME_STRATEGY));
    }

    public boolean specificAvroReader() {
        return getBoolean(SPECIFIC_AVRO_READER);
    }

    /** The generated class configured for keys or values, if any. */
    public Optional<Class<?>> specificType(boolean isKey) {
        return Optional.ofNullable(getClass(isKey ? SPECIFIC_AVRO_KEY_TYPE : SPECIFIC_AVRO_VALUE_TYPE));
    }

    public boolean useLogicalTypeConverters() {
        return getBoolean(AVRO_USE_LOGICAL_TYPE_CONVERTERS);
    }

    public CredentialsSource credentialsSource() {
        return credentialsSource(BASIC_AUTH_CREDENTIALS_SOURCE, getString(BASIC_AUTH_CREDENTIALS_SOURCE));
    }

    /** Everything the HTTP client needs; validates credentials and loads the TLS stores (ConfigException naming the key on failure). */
    public HttpRegistrySettings httpSettings() {
        List<URI> urls = new ArrayList<>();
        Optional<String> userInfo = Optional.empty();
        for (String raw : registryUrls()) {
            URI uri;
            try {
                uri = new URI(raw);
            } catch (URISyntaxException e) {
                throw new ConfigException(SCHEMA_REGISTRY_URL, dev.prefstream.schemas.security.Redaction.text(raw), "not a URL: " + dev.prefstream.schemas.security.Redaction.text(e.getMessage()));
            }
            if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https")) || uri.getHost() == null) {
                throw new ConfigException(SCHEMA_REGISTRY_URL, dev.prefstream.schemas.security.Redaction.text(raw), "expected http(s)://host:port");
            }
            if (uri.getRawUserInfo() != null) {
                if (userInfo.isEmpty()) {
                    userInfo = Optional.of(java.net.URLDecoder.decode(uri.getRawUserInfo(), java.nio.charset.StandardCharsets.UTF_8));
                }
                try {
                    uri = new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null);
                } catch (URISyntaxException e) {
                    throw new ConfigException(SCHEMA_REGISTRY_URL, dev.prefstream.schemas.security.Redaction.text(raw), dev.prefstream.schemas.security.Redaction.text(e.getMessage()));
                }
            }
            urls.add(uri);
        }
        if (urls.isEmpty()) {
            throw new ConfigException(SCHEMA_REGISTRY_URL + " is required");
        }
        Optional<String> credentials = switch (credentialsSource()) {
            case NONE -> Optional.empty();
            case URL -> {
                if (userInfo.isEmpty()) {
                    throw new ConfigException(BASIC_AUTH_CREDENTIALS_SOURCE, "URL", "no user:password@ in " + SCHEMA_REGISTRY_URL);
                }
                yield userInfo;
            }
            case USER_INFO -> {
                Password p = getPassword(BASIC_AUTH_USER_INFO);
                if (p == null || !p.value().contains(":")) {
                    throw new ConfigException(BASIC_AUTH_USER_INFO + " must be user:password when " + BASIC_AUTH_CREDENTIALS_SOURCE + "=USER_INFO");
                }
                yield Optional.of(p.value());
            }
        };
        return new HttpRegistrySettings(urls, credentials, sslContext(),
                Duration.ofMillis(getInt(HTTP_CONNECT_TIMEOUT_MS)), Duration.ofMillis(getInt(HTTP_READ_TIMEOUT_MS)));
    }

    private Optional<SSLContext> sslContext() {
        Optional<RegistryTls.Store> trust = store(SSL_TRUSTSTORE_LOCATION, SSL_TRUSTSTORE_PASSWORD, SSL_TRUSTSTORE_TYPE);
        Optional<RegistryTls.Store> key = store(SSL_KEYSTORE_LOCATION, SSL_KEYSTORE_PASSWORD, SSL_KEYSTORE_TYPE);
        if (trust.isEmpty() && key.isEmpty()) {
            return Optional.empty();
        }
        Password keyPassword = getPassword(SSL_KEY_PASSWORD);
        try {
            return Optional.of(RegistryTls.sslContext(trust, key, keyPassword == null ? null : keyPassword.value().toCharArray()));
        } catch (IOException | GeneralSecurityException e) {
            String which = trust.isPresent() ? SSL_TRUSTSTORE_LOCATION : SSL_KEYSTORE_LOCATION;
            throw new ConfigException(which, getString(which), "cannot build the registry TLS context: " + e);
        }
    }

    private Optional<RegistryTls.Store> store(String locationKey, String passwordKey, String typeKey) {
        String location = getString(locationKey);
        if (location == null || location.isBlank()) {
            return Optional.empty();
        }
        Password password = getPassword(passwordKey);
        return Optional.of(new RegistryTls.Store(Path.of(location), password == null ? null : password.value().toCharArray(), getString(typeKey)));
    }

    private static CredentialsSource credentialsSource(String name, String value) {
        String v = value == null ? "" : value.trim().toUpperCase(Locale.ROOT);
        if (v.isEmpty() || v.equals("NONE")) {
            return CredentialsSource.NONE;
        }
        try {
            return CredentialsSource.valueOf(v);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(name, value, "use USER_INFO or URL (SASL_INHERIT is not supported)");
        }
    }
}
