package dev.prefstream.schemas.serde;

import dev.prefstream.devstack.testing.KafkaClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every schema through a real in-process broker and prefstream's embedded registry (no Docker needed). */
class EmbeddedBrokerRoundTripTest {

    @RegisterExtension
    static final KafkaClusterExtension kafka = new KafkaClusterExtension();

    @Test
    void everySchemaRoundTripsThroughBrokerAndEmbeddedRegistry() throws Exception {
        // the layout's own topics (created by the extension), so subjects are the real ones: preference-events-value, ...
        BrokerRoundTrip.everySchema(kafka.bootstrapServers(), kafka.registryUrl(), "");
    }
}
