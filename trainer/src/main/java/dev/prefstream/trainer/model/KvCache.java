package dev.prefstream.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Keys and values of every layer for the positions already processed, so that decoding one more token costs one
 * position instead of the whole sequence. Arrays ([B, kvHeads, length, headDim], after rotary embedding) live in
 * this cache's own sub-manager; each append replaces (and frees) the previous arrays, so memory grows only with
 * the sequence. Not for training: appending moves arrays out of the caller's scope.
 */
public final class KvCache implements AutoCloseable {

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private int length;

    /** An empty cache for {@code numLayers} layers, owned by a sub-manager of {@code parent}. */
    public KvCache(NDManager parent, int numLayers) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[numLayers];
        this.values = new NDArray[numLayers];
    }

    /** Positions already cached. */
    public int length() {
        return length;
    }

    /**
     * Appends this step's keys and values for one layer; returns {keys, values} over all positions so far.
     * The step's arrays are moved into the cache.
     */
    NDArray[] append(int layer, NDArray k, NDArray v) {
        NDArray fullK = keys[layer] == null ? k : keys[layer].concat(k, 2);
        NDArray fullV = values[layer] == null ? v : values[layer].concat(v, 2);
        fullK.attach(manager);
        fullV.attach(manager);
        if (keys[layer] != null) {
            keys[layer].close();
            values[layer].close();
        }
        keys[layer] = fullK;
        values[layer] = fullV;
        return new NDArray[] {fullK, fullV};
    }

    /** Called once per forward, after every layer appended. */
    void advance(int steps) {
        length += steps;
    }

    @Override
    public void close() {
        manager.close();
    }
}
