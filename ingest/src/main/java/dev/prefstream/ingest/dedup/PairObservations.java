package dev.prefstream.ingest.dedup;

import java.util.ArrayList;
import java.util.List;

/**
 * What the dedup store keeps per pair_id: how many distinct observations of that pair (that direction) were seen,
 * and the ids of the first {@link #MAX_IDS} of them, so that a replay of the same event is not counted as a second
 * vote. Beyond {@link #MAX_IDS} observations every repeat counts (the list is capped to keep the store small).
 *
 * @param observations distinct observations counted so far
 * @param ids          observation ids (the pair's event ids joined), at most {@link #MAX_IDS}
 */
public record PairObservations(int observations, List<String> ids) {

    public static final int MAX_IDS = 32;

    public PairObservations {
        ids = List.copyOf(ids);
    }

    public static PairObservations first(String id) {
        return new PairObservations(1, List.of(id));
    }

    /** This record after one more observation; unchanged when {@code id} is a replay of a recorded one. */
    public PairObservations plus(String id) {
        if (ids.contains(id)) {
            return this;
        }
        List<String> more = new ArrayList<>(ids);
        if (more.size() < MAX_IDS) {
            more.add(id);
        }
        return new PairObservations(observations + 1, more);
    }
}
