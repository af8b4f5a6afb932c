package dev.prefstream.ingest.importer;

import dev.prefstream.schemas.avro.PreferenceEvent;

import java.util.ArrayList;
import java.util.List;

/** Collects imported events in memory. */
final class ListSink implements EventSink {

    final List<PreferenceEvent> events = new ArrayList<>();

    @Override
    public void send(PreferenceEvent event) {
        events.add(event);
    }

    @Override
    public void flush() {
    }

    @Override
    public long delivered() {
        return events.size();
    }

    @Override
    public long failed() {
        return 0;
    }

    @Override
    public void close() {
    }
}
