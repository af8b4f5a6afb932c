package dev.prefstream.trainer.dpo;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Reference log-probs (chosen, rejected) per pair, valid for ONE reference version: computed once per pair and
 * reused while the reference does not change; {@link #invalidate} empties it when the version changes.
 * Bounded, least-recently-used eviction.
 */
public final class ReferenceLogpCache {

    /** Cached values of one pair. */
    public record Entry(float chosen, float rejected) {
    }

    private final int capacity;
    private String version;
    private final LinkedHashMap<String, Entry> entries;
    private long hits;
    private long misses;

    /** @param capacity maximum number of pairs kept */
    public ReferenceLogpCache(int capacity, String version) {
        if (capacity < 1) {
            throw new IllegalArgumentException("cache capacity must be >= 1, got " + capacity);
        }
        this.capacity = capacity;
        this.version = version;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
                return size() > ReferenceLogpCache.this.capacity;
            }
        };
    }

    /** The reference version the entries belong to. */
    public String version() {
        return version;
    }

    public Optional<Entry> get(String pairKey) {
        Entry e = entries.get(pairKey);
        if (e == null) {
            misses++;
        } else {
            hits++;
        }
        return Optional.ofNullable(e);
    }

    public void put(String pairKey, Entry entry) {
        entries.put(pairKey, entry);
    }

    /** Drops every entry and switches to {@code newVersion}. */
    public void invalidate(String newVersion) {
        entries.clear();
        version = newVersion;
    }

    public int size() {
        return entries.size();
    }

    public long hits() {
        return hits;
    }

    public long misses() {
        return misses;
    }

    /** Snapshot in insertion/access order (for checkpoints). */
    public Map<String, Entry> snapshot() {
        return new LinkedHashMap<>(entries);
    }

    public int capacity() {
        return capacity;
    }
}
