package dev.prefstream.ingest.importer;

import dev.prefstream.schemas.avro.PreferenceEvent;

/** Where imported events go (Kafka in production, a list in tests). */
public interface EventSink extends AutoCloseable {

    /** Hands one event over; delivery may complete later. */
    void send(PreferenceEvent event);

    /** Waits until everything sent is delivered or failed; then {@link #delivered()} and {@link #failed()} are final. */
    void flush();

    long delivered();

    long failed();

    @Override
    void close();
}
