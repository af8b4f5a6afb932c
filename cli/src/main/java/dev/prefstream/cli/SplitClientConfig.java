package dev.prefstream.cli;

import dev.prefstream.trainer.settings.Settings;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The {@code --config} file serves two readers: Kafka clients (security, SASL, TLS ...) and prefstream's own
 * settings ({@code prefstream.trainer.*}, {@code prefstream.dpo.*}, {@code prefstream.publisher.*}). This splits
 * them so Kafka clients never see (and warn about) prefstream's keys, and reads prefstream's once
 * ({@link PrefstreamSettings}: checked, typed, deprecated names warned about once per command).
 *
 * @param kafka    client config incl. bootstrap.servers and schema.registry.url
 * @param settings the {@code prefstream.*} settings
 */
record SplitClientConfig(Map<String, Object> kafka, Settings settings) {

    static SplitClientConfig of(KafkaOptions options) {
        Map<String, Object> kafka = new HashMap<>();
        Properties prefstream = new Properties();
        options.clientConfig().forEach((k, v) -> {
            if (k.startsWith("prefstream.")) {
                prefstream.setProperty(k, String.valueOf(v));
            } else {
                kafka.put(k, v);
            }
        });
        return new SplitClientConfig(Map.copyOf(kafka), options.fromConfigFile(() -> PrefstreamSettings.read(prefstream)));
    }

    /** The assembly of a training run from these settings. */
    TrainingAssembly assembly() {
        return new TrainingAssembly(settings);
    }
}
