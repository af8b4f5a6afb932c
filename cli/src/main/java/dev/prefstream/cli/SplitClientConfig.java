package dev.prefstream.cli;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The {@code --config} file serves two readers: Kafka clients (security, SASL, TLS ...) and prefstream's own
 * settings ({@code prefstream.trainer.*}, {@code prefstream.dpo.*}, {@code prefstream.publisher.*}). This splits
 * them so Kafka clients never see (and warn about) prefstream's keys.
 *
 * @param kafka    client config incl. bootstrap.servers and schema.registry.url
 * @param settings the {@code prefstream.*} keys
 */
record SplitClientConfig(Map<String, Object> kafka, Properties settings) {

    static SplitClientConfig of(KafkaOptions options) {
        Map<String, Object> kafka = new HashMap<>();
        Properties settings = new Properties();
        options.clientConfig().forEach((k, v) -> {
            if (k.startsWith("prefstream.")) {
                settings.setProperty(k, String.valueOf(v));
            } else {
                kafka.put(k, v);
            }
        });
        return new SplitClientConfig(Map.copyOf(kafka), settings);
    }
}
