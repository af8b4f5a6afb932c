package dev.prefstream.ingest.topology;

import dev.prefstream.schemas.avro.PreferenceEvent;

import java.util.Objects;

/**
 * An event together with the exact record bytes it was decoded from, as it travels from the input topic through
 * the prompt_id repartition. Stage 1 never changes an event, so {@link EncodedEventSerde} writes these bytes to the
 * repartition again instead of encoding the event anew (profiled: the re-encode was ~5% of the stream thread), and
 * a record dead-lettered by stage 2 carries the input's own bytes, as one dead-lettered by stage 1 does.
 *
 * <p>Avro records are mutable: a stage that changes the event must forward {@link #changedTo} (which drops the
 * bytes, so the serde encodes the changed event), never the same wrapper around a modified event.
 *
 * @param event the decoded event
 * @param bytes the wire-format bytes {@code event} was decoded from, or null when unknown (then it is encoded)
 */
record EncodedEvent(PreferenceEvent event, byte[] bytes) {

    EncodedEvent {
        Objects.requireNonNull(event, "event");
    }

    /** A changed event: no bytes, so it is encoded when written. */
    static EncodedEvent changedTo(PreferenceEvent event) {
        return new EncodedEvent(event, null);
    }
}
