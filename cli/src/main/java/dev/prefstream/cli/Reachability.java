package dev.prefstream.cli;

import dev.prefstream.schemas.error.FatalException;
import dev.prefstream.schemas.registry.RegistryUnavailableException;
import dev.prefstream.schemas.registry.SchemaRegistryClient;
import dev.prefstream.schemas.registry.SchemaRegistryClients;
import dev.prefstream.schemas.serde.AvroSerdeConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Checks, before a command starts its real work, that the Kafka broker and the schema registry answer at all. Without
 * it a command against a missing broker blocks for the clients' own timeouts (60 s per record for a producer, so an
 * import of nine events took nine minutes) while the client libraries log a retry warning every second. One admin
 * {@code describeCluster} and one {@code GET /subjects}, each bounded by {@link #DEFAULT_TIMEOUT}, cost a few
 * milliseconds when both are up.
 *
 * <p>A broker or registry that answers but refuses us (authentication, TLS, HTTP 401) counts as reachable for the
 * registry (the command's own error then says what was refused) and as a {@link FatalException} for the broker.
 */
final class Reachability {

    /** How long each service gets to answer: long enough for a TLS/SASL handshake, short enough to be "seconds". */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    private final Duration timeout;

    Reachability(Duration timeout) {
        this.timeout = timeout;
    }

    /**
     * Throws {@link ServiceUnreachableException} naming the address if the broker or (when {@code registryUrl} is an
     * http(s) URL) the registry does not answer in time.
     *
     * @param adminConfig Kafka client settings (bootstrap.servers, security ...), without prefstream's own keys
     * @return the Kafka cluster id
     */
    String check(Map<String, Object> adminConfig, String registryUrl) {
        String clusterId = checkBroker(adminConfig);
        checkRegistry(adminConfig, registryUrl);
        return clusterId;
    }

    /** Returns the cluster id. */
    String checkBroker(Map<String, Object> adminConfig) {
        String bootstrap = String.valueOf(adminConfig.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG));
        Map<String, Object> config = new HashMap<>(adminConfig);
        int millis = (int) timeout.toMillis();
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, millis);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, millis);
        config.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, (long) Math.min(millis, 3_000));
        config.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, (long) millis);
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, "prefstream-reachability-check");
        Admin admin;
        try {
            admin = Admin.create(config);
        } catch (org.apache.kafka.common.KafkaException e) {
            // an unresolvable host name fails here ("No resolvable bootstrap urls given in bootstrap.servers")
            throw new ServiceUnreachableException(unreachableBroker(bootstrap, rootMessage(e)), e);
        }
        try {
            String clusterId = admin.describeCluster(new DescribeClusterOptions().timeoutMs(millis)).clusterId()
                    .get(millis + 1_000L, TimeUnit.MILLISECONDS);
            return clusterId == null ? "unknown-cluster" : clusterId;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServiceUnreachableException("interrupted while checking the Kafka broker at " + bootstrap, e);
        } catch (TimeoutException e) {
            throw new ServiceUnreachableException(unreachableBroker(bootstrap, "no answer within " + seconds()), e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof org.apache.kafka.common.errors.TimeoutException) {
                throw new ServiceUnreachableException(unreachableBroker(bootstrap, "no answer within " + seconds()), cause);
            }
            throw new FatalException("Kafka broker at " + bootstrap + " refused the connection check: " + rootMessage(cause)
                    + " (check the security settings in --config)", cause);
        } finally {
            admin.close(Duration.ZERO); // nothing to finish; a graceful close would wait out the pending retries
        }
    }

    /** Checks an http(s) registry URL (a mock:// one, in memory, always answers). */
    void checkRegistry(Map<String, Object> clientConfig, String registryUrl) {
        if (registryUrl == null || registryUrl.isBlank() || registryUrl.startsWith(SchemaRegistryClients.MOCK_PREFIX)) {
            return;
        }
        Map<String, Object> config = new HashMap<>();
        clientConfig.forEach((k, v) -> {
            if (k.startsWith("schema.registry.") || k.startsWith("basic.auth.") || k.startsWith("http.")) {
                config.put(k, v);
            }
        });
        config.put(AvroSerdeConfig.SCHEMA_REGISTRY_URL, registryUrl);
        config.put(AvroSerdeConfig.HTTP_CONNECT_TIMEOUT_MS, (int) timeout.toMillis());
        config.put(AvroSerdeConfig.HTTP_READ_TIMEOUT_MS, (int) timeout.toMillis());
        SchemaRegistryClient client = SchemaRegistryClients.forUrl(new AvroSerdeConfig(config));
        try {
            client.subjects();
        } catch (RegistryUnavailableException e) {
            throw new ServiceUnreachableException("no schema registry reachable at " + registryUrl + " (" + shortReason(e) + "); start the "
                    + "local stack with `prefstream up`, or point --registry (or $PREFSTREAM_REGISTRY) at yours", e);
        } catch (RuntimeException refusedButThere) {
            // it answered (401, 404 ...): reachable; the command's own use of it will say what is wrong
        }
    }

    private String unreachableBroker(String bootstrap, String why) {
        return "no Kafka broker reachable at " + bootstrap + " (" + why + "); start the local stack with `prefstream up`, "
                + "or point --bootstrap (or $PREFSTREAM_BOOTSTRAP) at your cluster";
    }

    private String seconds() {
        return timeout.toMillis() % 1000 == 0 ? timeout.toSeconds() + " s" : timeout.toMillis() + " ms";
    }

    /** The I/O failure's name and message ("ConnectException", "UnknownHostException: sr.example"), not the client's wrapping. */
    private static String shortReason(RegistryUnavailableException e) {
        Throwable io = e.getCause();
        if (io == null) {
            return e.getMessage();
        }
        return io.getClass().getSimpleName() + (io.getMessage() == null ? "" : ": " + io.getMessage());
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
