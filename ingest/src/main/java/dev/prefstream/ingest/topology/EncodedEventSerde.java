package dev.prefstream.ingest.topology;

import dev.prefstream.schemas.avro.PreferenceEvent;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.util.Map;

/**
 * The serde of {@link EncodedEvent}s around the event serde: reading decodes with it and keeps the bytes; writing
 * writes the kept bytes when there are some, and encodes the event with it otherwise. Decoding failures are the
 * event serde's own exceptions, unchanged, so the deserialization handler sees the same reasons. Null bytes
 * (tombstones) read as null. Configure and close go to the event serde's two halves, as if it were used directly.
 */
final class EncodedEventSerde implements Serde<EncodedEvent> {

    private final Serializer<EncodedEvent> serializer;
    private final Deserializer<EncodedEvent> deserializer;

    EncodedEventSerde(Serde<PreferenceEvent> events) {
        this.serializer = new BytesOrEncode(events.serializer());
        this.deserializer = new DecodeKeepingBytes(events.deserializer());
    }

    @Override
    public Serializer<EncodedEvent> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<EncodedEvent> deserializer() {
        return deserializer;
    }

    private record BytesOrEncode(Serializer<PreferenceEvent> events) implements Serializer<EncodedEvent> {

        @Override
        public void configure(Map<String, ?> configs, boolean isKey) {
            events.configure(configs, isKey);
        }

        @Override
        public byte[] serialize(String topic, EncodedEvent value) {
            if (value == null) {
                return null;
            }
            return value.bytes() != null ? value.bytes() : events.serialize(topic, value.event());
        }

        @Override
        public byte[] serialize(String topic, Headers headers, EncodedEvent value) {
            if (value == null) {
                return null;
            }
            return value.bytes() != null ? value.bytes() : events.serialize(topic, headers, value.event());
        }

        @Override
        public void close() {
            events.close();
        }
    }

    private record DecodeKeepingBytes(Deserializer<PreferenceEvent> events) implements Deserializer<EncodedEvent> {

        @Override
        public void configure(Map<String, ?> configs, boolean isKey) {
            events.configure(configs, isKey);
        }

        @Override
        public EncodedEvent deserialize(String topic, byte[] bytes) {
            return wrap(events.deserialize(topic, bytes), bytes);
        }

        @Override
        public EncodedEvent deserialize(String topic, Headers headers, byte[] bytes) {
            return wrap(events.deserialize(topic, headers, bytes), bytes);
        }

        private static EncodedEvent wrap(PreferenceEvent event, byte[] bytes) {
            return event == null ? null : new EncodedEvent(event, bytes);
        }

        @Override
        public void close() {
            events.close();
        }
    }
}
