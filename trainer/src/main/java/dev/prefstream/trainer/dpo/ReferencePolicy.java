package dev.prefstream.trainer.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.prefstream.trainer.lora.LoraModel;
import dev.prefstream.trainer.model.CausalLM;
import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.optim.NoGrad;
import dev.prefstream.trainer.optim.ScalarArrays;
import dev.prefstream.trainer.optim.TensorCopy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The DPO reference: a frozen model (no gradients, forward under no-grad) plus, optionally, a cache of its
 * log-probs per pair. It evolves per {@link ReferenceMode}: FIXED never changes, REFRESH becomes a hard copy of
 * the policy at iteration boundaries, TR_DPO is mixed towards the policy every k steps. Every change bumps
 * {@link #version()} and empties the cache, so stale reference log-probs are never reused.
 */
public final class ReferencePolicy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReferencePolicy.class);

    private final CausalLM model;
    private final ReferenceMode mode;
    private final double mixAlpha;
    private final int mixEverySteps;
    private final ReferenceLogpCache cache;
    /** Stage the weights into each forward's scope even on the same device (tests of the staging path on a CPU). */
    private final boolean alwaysStage;
    private long generation;
    private long lastIteration;

    /**
     * @param model         the reference weights (owned from now on: closed with this object); gradients are
     *                      switched off here
     * @param mode          how it evolves
     * @param mixAlpha      TR_DPO alpha in (0, 1]
     * @param mixEverySteps TR_DPO period k in optimizer steps
     * @param cacheCapacity pairs whose reference log-probs are cached (0 = no cache: always forward)
     */
    public ReferencePolicy(CausalLM model, ReferenceMode mode, double mixAlpha, int mixEverySteps, int cacheCapacity) {
        this(model, mode, mixAlpha, mixEverySteps, cacheCapacity, false);
    }

    ReferencePolicy(CausalLM model, ReferenceMode mode, double mixAlpha, int mixEverySteps, int cacheCapacity,
                    boolean alwaysStage) {
        this.alwaysStage = alwaysStage;
        this.model = model;
        this.mode = mode;
        this.mixAlpha = mixAlpha;
        this.mixEverySteps = mixEverySteps;
        for (NDArray p : model.parameters().values()) {
            if (p.hasGradient()) {
                p.setRequiresGradient(false);
            }
        }
        this.cache = cacheCapacity > 0 ? new ReferenceLogpCache(cacheCapacity, version()) : null;
    }

    /** Changes whenever the reference weights change: "g{generation}". */
    public String version() {
        return "g" + generation;
    }

    public long generation() {
        return generation;
    }

    public ReferenceMode mode() {
        return mode;
    }

    public CausalLM model() {
        return model;
    }

    /** The last iteration whose boundary was applied (0 = none yet). */
    public long lastIteration() {
        return lastIteration;
    }

    public Optional<ReferenceLogpCache> cache() {
        return Optional.ofNullable(cache);
    }

    /**
     * Reference log-probs of a batch, [2B] (chosen rows then rejected rows) in {@code scope}: from the cache when
     * every pair is cached, otherwise from one no-grad forward pass (whose values then fill the cache).
     */
    public NDArray logps(CollatedBatch batch, List<TextPair> pairs, NDManager scope) {
        int b = batch.pairs();
        if (cache != null) {
            float[] values = new float[2 * b];
            boolean all = true;
            for (int i = 0; i < b && all; i++) {
                Optional<ReferenceLogpCache.Entry> e = cache.get(pairs.get(i).contentKey());
                if (e.isPresent()) {
                    values[i] = e.get().chosen();
                    values[b + i] = e.get().rejected();
                } else {
                    all = false;
                }
            }
            if (all) {
                return scope.create(values);
            }
        }
        NDArray sums;
        // the forward's activations and full-vocabulary logits die here, before the policy's forward and backward
        // allocate theirs; only the [2B] sums move to the caller's scope
        try (NDManager forward = scope.newSubManager()) {
            sums = SequenceScores.computeNoGrad(onDeviceOf(forward), batch, forward, false).sums();
            sums.attach(scope);
        }
        if (cache != null) {
            float[] host = sums.toFloatArray();
            for (int i = 0; i < b; i++) {
                cache.put(pairs.get(i).contentKey(), new ReferenceLogpCache.Entry(host[i], host[b + i]));
            }
        }
        return sums;
    }

    /**
     * The reference's weights where {@code forward} computes: the model itself, or, when it is kept in host memory
     * ({@link ReferencePlacement#HOST}) and the forward runs on an accelerator, a copy staged into {@code forward}
     * (freed with it, right after the forward).
     */
    private CausalLM onDeviceOf(NDManager forward) {
        if (model instanceof DecoderModel d
                && (alwaysStage || !d.manager().getDevice().equals(forward.getDevice()))) {
            return d.copy(forward);
        }
        return model;
    }

    /**
     * Iteration boundary: in REFRESH mode copies the policy into the reference, once per iteration number
     * (repeated calls for the same or an older iteration, e.g. after a resume, change nothing).
     *
     * @return true if the reference changed
     */
    public boolean startIteration(long iteration, CausalLM policy) {
        if (iteration <= lastIteration) {
            return false;
        }
        lastIteration = iteration;
        if (mode != ReferenceMode.REFRESH) {
            return false;
        }
        if (policy instanceof LoraModel lora) {
            // LoRA: the reference is the base with the adapters off, so refreshing it means folding the adapters
            // into the base (the policy's output does not change) and starting fresh adapters
            lora.adapters().mergeIntoBase(generation + 1);
        } else {
            copyFrom(policy);
        }
        bump("refresh at iteration " + iteration);
        return true;
    }

    /**
     * After optimizer step {@code completedSteps}: in TR_DPO mode, every {@code mixEverySteps} steps,
     * ref = alpha * policy + (1 - alpha) * ref.
     *
     * @return true if the reference changed
     */
    public boolean afterStep(long completedSteps, CausalLM policy, ScalarArrays scalars) {
        if (mode != ReferenceMode.TR_DPO || completedSteps % mixEverySteps != 0) {
            return false;
        }
        Map<String, NDArray> policyParams = policy.parameters();
        try (NoGrad ignored = NoGrad.enter();
             NDManager scope = NDManager.newBaseManager(model.manager().getDevice())) {
            NDArray keep = scalars.of(1 - mixAlpha);
            NDArray take = scalars.of(mixAlpha);
            for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                NDArray src = policyParams.get(e.getKey());
                NDArray ref = e.getValue().stopGradient();
                ref.attach(scope);
                NDArray pol = src.stopGradient();
                pol.attach(scope);
                if (!pol.getDevice().equals(scope.getDevice())) {   // a reference in host memory
                    pol = pol.toDevice(scope.getDevice(), false);
                    pol.attach(scope);
                }
                ref.muli(keep).addi(pol.mul(take));
            }
        }
        bump("TR-DPO mix at step " + completedSteps);
        return true;
    }

    /** Hard copy of {@code source}'s weights into the reference (same names and shapes). */
    public void copyFrom(CausalLM source) {
        Map<String, NDArray> src = source.parameters();
        for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
            NDArray s = src.get(e.getKey());
            if (s == null) {
                throw new IllegalArgumentException("policy has no tensor " + e.getKey() + " for the reference");
            }
            TensorCopy.copyInto(e.getValue(), s);
        }
    }

    /** Restores generation and iteration (the weights are restored separately). */
    void restoreCounters(long savedGeneration, long savedLastIteration) {
        this.generation = savedGeneration;
        this.lastIteration = savedLastIteration;
        if (cache != null) {
            cache.invalidate(version());
        }
    }

    /** Refills the cache from a checkpoint (entries belong to the current version). */
    void restoreCache(Map<String, float[]> entries) {
        if (cache == null || entries == null) {
            return;
        }
        entries.forEach((k, v) -> cache.put(k, new ReferenceLogpCache.Entry(v[0], v[1])));
    }

    /** Cache content for a checkpoint (empty when caching is off). */
    Map<String, float[]> cacheSnapshot() {
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        if (cache != null) {
            cache.snapshot().forEach((k, e) -> out.put(k, new float[] {e.chosen(), e.rejected()}));
        }
        return out;
    }

    private void bump(String why) {
        generation++;
        if (cache != null) {
            cache.invalidate(version());
        }
        LOG.info("reference policy changed ({}), now version {}", why, version());
    }

    @Override
    public void close() {
        model.close();
    }
}
