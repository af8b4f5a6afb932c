package dev.prefstream.schemas.registry;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Negative answers of the registry for schema ids, so that records with made-up ids (anyone who can produce to a
 * topic chooses the id in its header) cannot turn into one blocking registry call per record:
 * <ul>
 *   <li>an id the registry said it does not know is answered from here for {@link #TTL_NANOS} (30 s; an id
 *       registered in the meantime is found once that passes);</li>
 *   <li>beyond {@link #MAX_LOOKUPS_PER_WINDOW} distinct unknown ids in one second, further uncached ids are
 *       refused without a call until the second is over: a flood of random ids costs at most that many calls per
 *       second. A valid record whose schema was registered during such a flood and not yet fetched is refused
 *       as unknown too (it goes to the dead-letter topic with its bytes and can be reprocessed from there);</li>
 *   <li>at most {@link #MAX_ENTRIES} ids are remembered, the oldest forgotten first.</li>
 * </ul>
 * Thread-safe (one lock; only reached for ids not in the positive cache).
 */
final class UnknownSchemaIds {

    static final long TTL_NANOS = 30_000_000_000L;
    static final int MAX_ENTRIES = 10_000;
    static final int MAX_LOOKUPS_PER_WINDOW = 20;
    private static final long WINDOW_NANOS = 1_000_000_000L;

    private final LongSupplier clock;
    private final LinkedHashMap<Integer, Long> expiries = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, Long> eldest) {
            return size() > MAX_ENTRIES;
        }
    };
    private long windowStart;
    private int missesInWindow;
    private long refusedWithoutCall;

    UnknownSchemaIds(LongSupplier nanoClock) {
        this.clock = nanoClock;
        this.windowStart = nanoClock.getAsLong();
    }

    /** Throws the cached "not found" for {@code id} when it is remembered, or when this second's lookups are spent. */
    synchronized void check(int id, String endpoint) {
        long now = clock.getAsLong();
        Long expiry = expiries.get(id);
        if (expiry != null) {
            if (now - expiry < 0) {
                refusedWithoutCall++;
                throw notFound(endpoint, id, "remembered as unknown for up to 30 s");
            }
            expiries.remove(id);
        }
        if (now - windowStart >= WINDOW_NANOS) {
            windowStart = now;
            missesInWindow = 0;
        }
        if (missesInWindow >= MAX_LOOKUPS_PER_WINDOW) {
            refusedWithoutCall++;
            throw notFound(endpoint, id, "not looked up: more than " + MAX_LOOKUPS_PER_WINDOW + " unknown schema ids in the last second");
        }
    }

    /** The registry answered "schema not found" for {@code id}. */
    synchronized void remember(int id, RegistryErrorException answer) {
        long now = clock.getAsLong();
        expiries.put(id, now + TTL_NANOS);
        missesInWindow++;
    }

    /** How many lookups were answered from here without a call. */
    synchronized long refusedWithoutCall() {
        return refusedWithoutCall;
    }

    synchronized int size() {
        return expiries.size();
    }

    private static RegistryErrorException notFound(String endpoint, int id, String why) {
        return new RegistryErrorException(endpoint, 404, RegistryErrorException.SCHEMA_NOT_FOUND, "Schema " + id + " not found (" + why + ")",
                "schema id " + id + " is not in schema registry " + endpoint + " (" + why + ")");
    }
}
