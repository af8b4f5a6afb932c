package dev.prefstream.cli;

import dev.prefstream.schemas.serde.AvroSerdeConfig;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Finds the keys of a --config file that no reader knows: not a producer, consumer, admin or Kafka Streams setting,
 * not a serde setting and not one of prefstream's own sections. Kafka clients ignore such keys (logging them at most
 * as "unused" at INFO), so a misspelt {@code boostrap.servers} was accepted silently and the default used instead.
 * Only warned about, not refused: a newer client or a plugin (a SASL callback handler) may know keys we do not.
 */
final class UnknownClientKeys {

    /** Key prefixes whose readers check them (prefstream.*, ingest.*) or that Streams passes on to its clients. */
    private static final List<String> PREFIXES = List.of("prefstream.", "ingest.", "schema.registry.", "producer.", "consumer.",
            "main.consumer.", "restore.consumer.", "global.consumer.", "admin.", "topic.", "sasl.", "ssl.", "listener.name.");

    private static final Set<String> KNOWN = known();

    private UnknownClientKeys() {
    }

    /** The keys of {@code keys} that nothing reads, sorted. */
    static Set<String> in(Collection<String> keys) {
        Set<String> unknown = new TreeSet<>();
        for (String key : keys) {
            if (!KNOWN.contains(key) && PREFIXES.stream().noneMatch(key::startsWith)) {
                unknown.add(key);
            }
        }
        return unknown;
    }

    private static Set<String> known() {
        Set<String> k = new HashSet<>();
        k.addAll(ProducerConfig.configNames());
        k.addAll(ConsumerConfig.configNames());
        k.addAll(AdminClientConfig.configNames());
        k.addAll(StreamsConfig.configDef().names());
        k.addAll(AvroSerdeConfig.DEFINITION.names());
        return Set.copyOf(k);
    }
}
