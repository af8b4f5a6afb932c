package dev.prefstream.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Batched sampling from a {@link DecoderModel}. Prompts of different lengths are left-padded (mask 0, positions
 * counted from each prompt's first real token, as HF does), so every row's next token comes from the last column.
 * With the KV cache each step feeds one token per row. Sampling happens on the host from the last column's
 * probabilities with a seeded generator, so results are reproducible on any device; greedy takes the argmax on
 * the device and copies back only the ids. All arrays live in a per-call sub-manager (per-step for temporaries).
 */
public final class Generator {

    private static final Logger LOG = LoggerFactory.getLogger(Generator.class);

    private final DecoderModel model;
    private final long eosId;

    /** Generates with {@code model}; a row stops when it emits {@code eosId}. */
    public Generator(DecoderModel model, long eosId) {
        this.model = model;
        this.eosId = eosId;
    }

    /** One continuation per prompt, in order. Prompts must be non-empty. */
    public List<Generation> generate(List<long[]> prompts, GenerationConfig cfg) {
        int b = prompts.size();
        if (b == 0) {
            return List.of();
        }
        int longest = 0;
        for (int i = 0; i < b; i++) {
            if (prompts.get(i).length == 0) {
                throw new IllegalArgumentException("prompt " + i + " is empty");
            }
            longest = Math.max(longest, prompts.get(i).length);
        }
        int maxPositions = model.config().maxPositions();
        if (longest >= maxPositions) {
            throw new IllegalArgumentException("prompt of " + longest + " tokens leaves no room in a context of "
                    + maxPositions);
        }
        int steps = Math.min(cfg.maxNewTokens(), maxPositions - longest);
        if (steps < cfg.maxNewTokens()) {
            LOG.debug("max new tokens capped from {} to {} by the context of {}", cfg.maxNewTokens(), steps, maxPositions);
        }
        int total = longest + steps;
        long[][] ids = new long[b][total];
        long[][] mask = new long[b][total];
        long[][] pos = new long[b][total];
        int[] pad = new int[b];
        long padId = eosId >= 0 && eosId < model.config().vocabSize() ? eosId : 0;
        for (int i = 0; i < b; i++) {
            long[] p = prompts.get(i);
            pad[i] = longest - p.length;
            Arrays.fill(ids[i], 0, pad[i], padId);
            System.arraycopy(p, 0, ids[i], pad[i], p.length);
            Arrays.fill(mask[i], pad[i], total, 1);
            for (int j = 0; j < total; j++) {
                pos[i][j] = Math.max(0, j - pad[i]);
            }
        }
        List<List<Long>> out = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            out.add(new ArrayList<>());
        }
        boolean[] done = new boolean[b];
        SplittableRandom random = new SplittableRandom(cfg.seed());
        try (NDManager call = model.manager().newSubManager();
             KvCache cache = cfg.useCache() ? new KvCache(call, model.config().numLayers()) : null) {
            NDArray invTemperature = cfg.temperature() > 0 ? call.create((float) (1.0 / cfg.temperature())) : null;
            int length = longest;
            for (int s = 0; s < steps; s++) {
                long[] next;
                try (NDManager step = call.newSubManager()) {
                    int from = cache == null ? 0 : cache.length();
                    NDArray input = step.create(slice(ids, from, length), new Shape(b, length - from));
                    NDArray positions = step.create(slice(pos, from, length), new Shape(b, length - from));
                    NDArray keyMask = step.create(slice(mask, 0, length), new Shape(b, length));
                    NDArray logits = model.forward(input, keyMask, positions, cache);
                    NDArray last = logits.get(":, -1, :");
                    next = invTemperature == null ? last.argMax(1).toLongArray()
                            : sample(last.mul(invTemperature).softmax(1).toFloatArray(), b, cfg.topP(), random);
                }
                boolean allDone = true;
                for (int i = 0; i < b; i++) {
                    if (!done[i]) {
                        if (next[i] == eosId) {
                            done[i] = true;
                        } else {
                            out.get(i).add(next[i]);
                        }
                    }
                    ids[i][length] = done[i] ? padId : next[i];
                    allDone &= done[i];
                }
                length++;
                if (allDone) {
                    break;
                }
            }
        }
        List<Generation> result = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            result.add(new Generation(out.get(i).stream().mapToLong(Long::longValue).toArray(), done[i]));
        }
        return result;
    }

    private static long[] slice(long[][] rows, int from, int to) {
        long[] flat = new long[rows.length * (to - from)];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], from, flat, i * (to - from), to - from);
        }
        return flat;
    }

    /** Nucleus sampling per row from probabilities [b * vocab]. */
    private static long[] sample(float[] probs, int b, double topP, SplittableRandom random) {
        int v = probs.length / b;
        long[] out = new long[b];
        for (int i = 0; i < b; i++) {
            int off = i * v;
            Integer[] order = new Integer[v];
            for (int j = 0; j < v; j++) {
                order[j] = j;
            }
            if (topP < 1) {
                Arrays.sort(order, (x, y) -> Float.compare(probs[off + y], probs[off + x]));
            }
            int keep = v;
            double mass = 0;
            if (topP < 1) {
                for (int j = 0; j < v; j++) {
                    mass += probs[off + order[j]];
                    if (mass >= topP) {
                        keep = j + 1;
                        break;
                    }
                }
            } else {
                for (int j = 0; j < v; j++) {
                    mass += probs[off + j];
                }
            }
            double u = random.nextDouble() * mass;
            double acc = 0;
            int chosen = order[keep - 1];
            for (int j = 0; j < keep; j++) {
                acc += probs[off + order[j]];
                if (u < acc) {
                    chosen = order[j];
                    break;
                }
            }
            out[i] = chosen;
        }
        return out;
    }
}
