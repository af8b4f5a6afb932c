package dev.prefstream.ingest.topology;

import dev.prefstream.ingest.Events;
import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.registry.InMemorySchemaRegistryClient;
import dev.prefstream.schemas.serde.AvroSerdeConfig;
import dev.prefstream.schemas.serde.AvroSerdes;
import dev.prefstream.schemas.serde.SerdeException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The repartition serde: kept bytes are written as they are, a changed event is encoded, failures pass unchanged. */
class EncodedEventSerdeTest {

    private static final String SCOPE = "encoded-event-serde";
    private static final String TOPIC = "preference-events";
    private final Serde<PreferenceEvent> events = AvroSerdes.specific(PreferenceEvent.class,
            Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE), false);
    private final EncodedEventSerde serde = new EncodedEventSerde(events);

    @AfterEach
    void dropRegistry() {
        events.close();
        InMemorySchemaRegistryClient.dropScope(SCOPE);
    }

    @Test
    void readingKeepsTheBytesAndWritingReturnsThemUnencoded() {
        PreferenceEvent event = Events.comparison("e1", "Say hi", "Hello!", "Go away.", ComparisonOutcome.A);
        byte[] bytes = events.serializer().serialize(TOPIC, event);

        EncodedEvent read = serde.deserializer().deserialize(TOPIC, bytes);

        assertThat(read.event()).isEqualTo(event);
        assertThat(read.bytes()).isSameAs(bytes);
        assertThat(serde.serializer().serialize("app-events-by-prompt-repartition", read)).isSameAs(bytes);
    }

    @Test
    void aChangedEventIsEncodedAnew() {
        PreferenceEvent event = Events.comparison("e1", "Say hi", "Hello!", "Go away.", ComparisonOutcome.A);
        PreferenceEvent changed = PreferenceEvent.newBuilder(event).setWeight(0.25).build();

        byte[] written = serde.serializer().serialize(TOPIC, EncodedEvent.changedTo(changed));

        assertThat(events.deserializer().deserialize(TOPIC, written)).isEqualTo(changed);
    }

    @Test
    void tombstonesStayNullAndUndecodableBytesFailAsTheEventSerdeFails() {
        assertThat(serde.deserializer().deserialize(TOPIC, null)).isNull();
        assertThat(serde.serializer().serialize(TOPIC, null)).isNull();
        assertThatThrownBy(() -> serde.deserializer().deserialize(TOPIC, new byte[]{0x7b, 0x22}))
                .isInstanceOfSatisfying(SerdeException.class, e -> assertThat(e.reason()).isEqualTo(SerdeException.Reason.NOT_WIRE_FORMAT));
    }
}
