package dev.prefstream.trainer.dpo;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prefstream.checkpoint.lora.BaseReference;
import dev.prefstream.trainer.lora.BaseStore;
import dev.prefstream.trainer.lora.LoraModel;
import dev.prefstream.trainer.lora.PeftAdapterFiles;
import dev.prefstream.trainer.model.CausalLM;
import dev.prefstream.trainer.model.CheckpointedBody;
import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.model.DtypeCast;
import dev.prefstream.trainer.model.HfModelLoader;
import dev.prefstream.trainer.model.HfModelSaver;
import dev.prefstream.trainer.model.StorageDtype;
import dev.prefstream.trainer.model.SafetensorsReader;
import dev.prefstream.trainer.model.SafetensorsWriter;
import dev.prefstream.trainer.optim.AdamW;
import dev.prefstream.trainer.optim.DynamicLossScaler;
import dev.prefstream.trainer.optim.GradientClipping;
import dev.prefstream.trainer.optim.LrSchedule;
import dev.prefstream.trainer.optim.NoGrad;
import dev.prefstream.trainer.optim.ParameterGradients;
import dev.prefstream.trainer.optim.ScalarArrays;
import dev.prefstream.trainer.tokenizer.TextTokenizer;
import dev.prefstream.trainer.tokenizer.Tokenizers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * DPO on a causal LM, usable without Kafka: feed batches of {@link TextPair}s, get {@link StepMetrics}.
 *
 * <p>One {@link #trainStep} = one optimizer step: the pairs are split into {@code accumulation} micro-batches;
 * each goes through the policy as ONE concatenated [chosen; rejected] batch (and through the reference under
 * no-grad, or from its log-prob cache), its loss is scaled by its share of the pairs and back-propagated, so the
 * accumulated gradient equals the gradient of the mean loss over all pairs. Then: global-norm clipping, AdamW,
 * gradients zeroed, reference updated per its mode. Every array of a step lives in a per-step manager closed at
 * the end of the step; the metrics are copied to the host once per step.
 *
 * <p>The trainer owns the models and the tokenizer it is given (closed by {@link #close()}). Not thread-safe; only
 * one trainer may be inside {@code trainStep} per JVM at a time (DJL allows one collecting GradientCollector).
 *
 * <p>Precision FP16 (GPU only): the policy's weights are float16 (forward and backward in float16, with float32 norm
 * statistics, attention softmax, log-probs and loss), AdamW keeps float32 master weights and moments, the loss is
 * multiplied by a dynamic scale before backward and the float16 gradients are unscaled into float32; a step whose
 * gradients hold inf/NaN is skipped and the scale halves ({@code torch.amp.GradScaler} policy). The inf/NaN count
 * travels to the host with the step's metrics, so fp16 adds no host sync.
 */
public final class DpoTrainer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DpoTrainer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Sub-directory of a saved trainer with everything besides the HF model files. */
    public static final String STATE_DIR = "trainer-state";
    /** JSON state inside {@link #STATE_DIR}. */
    public static final String STATE_FILE = "state.json";
    /** AdamW moments (and fp16 master weights) inside {@link #STATE_DIR}. */
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    /** Reference weights inside {@link #STATE_DIR}. */
    public static final String REFERENCE_FILE = "reference.safetensors";
    /**
     * The policy's exact training weights (float32; float16 ones widened exactly) inside {@link #STATE_DIR}, written
     * when the HF weights are saved narrower (a bf16/fp16 source model keeps its dtype on disk), so a resumed run
     * continues from the weights it trained, not from their rounded copy.
     */
    public static final String POLICY_FILE = "policy.safetensors";
    /** Metadata key of {@link #REFERENCE_FILE}: the reference's weight type (the file itself is float32). */
    private static final String REFERENCE_DTYPE_KEY = "weights_dtype";

    /**
     * TESTS ONLY: lets {@link Precision#FP16} run on the CPU. Production refuses it there (PyTorch's CPU float16
     * kernels are slower than float32 and gain nothing); PyTorch 2.7's CPU kernels do compute in float16, so tests
     * set this (and reset it) to exercise the fp16 path (casts, loss scaling, skipped steps, master weights) on
     * machines without a GPU. Read when a trainer is created or restored.
     */
    static volatile boolean allowFp16OnCpuForTests = false;

    private final CausalLM policy;
    private final TextTokenizer tokenizer;
    private final TrainerConfig config;
    private final PairCollator collator;
    private final ReferencePolicy reference;
    private final DecoderModel checkpointable;
    private final NDManager referenceRoot;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private final RewardBaseline baseline = new RewardBaseline();
    private final ScalarArrays constants = ScalarArrays.constants();
    private final DynamicLossScaler scaler;
    private final LinkedHashMap<String, NDArray> params;
    private final Device device;
    private long step;
    private StepPhases lastPhases = StepPhases.NONE;
    /** Hyperparameters changed on restores of this lineage (saved with the state, shown in manifests). */
    private List<SettingChange> overrides = List.of();
    /** LoRA only: where the frozen base is on disk, null until it is (a preset, or just merged by REFRESH). */
    private BaseReference loraBase;

    private DpoTrainer(CausalLM policy, CausalLM referenceModel, NDManager referenceRoot, TextTokenizer tokenizer,
                       TrainerConfig config) {
        this.policy = policy;
        this.tokenizer = tokenizer;
        config = fitToContext(config, policy.config().maxPositions());
        this.config = config;
        this.referenceRoot = referenceRoot;
        this.params = policy.parameters();
        this.device = params.values().iterator().next().getDevice();
        this.collator = new PairCollator(tokenizer, config.maxLength(), config.maxPromptLength(), config.truncation());
        this.schedule = config.lrSchedule();
        if (!(policy instanceof LoraModel)) {
            checkCompatible(policy, referenceModel);   // LoRA: the reference is the policy's own base
        }
        checkPrecisionSupported(config.precision(), device);
        DataType weightType = config.precision().weightType();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            if (e.getValue().getDataType() != weightType) {
                throw new IllegalArgumentException("precision " + config.precision() + " trains " + weightType
                        + " weights, but policy tensor " + e.getKey() + " is " + e.getValue().getDataType()
                        + (weightType == DataType.FLOAT16
                        ? " (load it with HfModelLoader.load(dir, device, DataType.FLOAT16) or convert it with "
                        + "DecoderModel.toDtype(DataType.FLOAT16))" : ""));
            }
        }
        this.scaler = config.precision() == Precision.FP16 ? DynamicLossScaler.torchDefaults() : null;
        // float16 parameters get float32 master copies and float32 moments inside AdamW
        this.optimizer = new AdamW(params, config.adamW());
        for (NDArray p : params.values()) {
            p.setRequiresGradient(true);
        }
        this.checkpointable = findCheckpointableBody();
        this.reference = new ReferencePolicy(referenceModel, config.referenceMode(), config.trAlpha(),
                config.trEverySteps(), config.referenceCacheSize());
        LOG.info("DPO trainer on {}: {} parameters, losses {}, reference {}, precision {}, gradient checkpointing {}, "
                        + "LoRA {}, reference weights on {}", device, params.values().stream().mapToLong(NDArray::size).sum(),
                config.dpo().lossTypes(), config.referenceMode(), config.precision(),
                config.gradientCheckpointing() ? "on" : "off", config.lora().describe(),
                policy instanceof LoraModel ? "the base" : referenceModel.manager().getDevice());
    }

    /**
     * The config with {@code maxLength} cut to the model's positions when it asks for more (TRL's default of 1024
     * against a model with a shorter context, e.g. GPT-2's 1024 is fine but a tiny model's 128 is not), and
     * {@code maxPromptLength} scaled by the same factor, so a row never reaches past the position table and the
     * saved state restores on the same model. Logged at WARN; unchanged otherwise.
     */
    static TrainerConfig fitToContext(TrainerConfig config, int maxPositions) {
        SequenceLimits asked = new SequenceLimits(config.maxLength(), config.maxPromptLength());
        SequenceLimits fitted = asked.fitTo(maxPositions);
        if (fitted.equals(asked)) {
            return config;
        }
        LOG.warn("max length {} (prompt {}) exceeds the model's {} positions: training with max length {} (prompt {})",
                asked.maxLength(), asked.maxPromptLength(), maxPositions, fitted.maxLength(), fitted.maxPromptLength());
        return config.toBuilder().maxLength(fitted.maxLength()).maxPromptLength(fitted.maxPromptLength()).build();
    }

    /**
     * A trainer whose reference is a frozen copy of the initial policy.
     *
     * @param policy    trained in place; owned by the trainer from now on
     * @param tokenizer owned by the trainer from now on
     */
    public static DpoTrainer create(DecoderModel policy, TextTokenizer tokenizer, TrainerConfig config) {
        if (config.lora().enabled()) {
            // LoRA: the policy is the frozen base plus adapters, the reference the same model with them off
            LoraModel lora = LoraModel.wrap(policy, config.lora(), config.seed());
            return new DpoTrainer(lora, lora.reference(), null, tokenizer, config);
        }
        Device device = policy.parameters().values().iterator().next().getDevice();
        NDManager root = NDManager.newBaseManager(config.referencePlacement().weightsDevice(device));
        try {
            DecoderModel ref = policy.copy(root);
            return new DpoTrainer(policy, ref, root, tokenizer, config);
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
    }

    /** A trainer with an explicit reference model (same architecture); all three are owned by the trainer. */
    public static DpoTrainer create(CausalLM policy, CausalLM reference, TextTokenizer tokenizer, TrainerConfig config) {
        return new DpoTrainer(policy, reference, null, tokenizer, config);
    }

    /**
     * Refuses a precision the device cannot train in: fp16 is GPU only (on the CPU float16 is slower than float32
     * and gains nothing). Commands call it before loading anything, so the user gets this one line, not a trace.
     *
     * @throws IllegalArgumentException naming the device and what to use instead
     */
    public static void checkPrecisionSupported(Precision precision, Device device) {
        if (precision == Precision.FP16 && !device.isGpu() && !allowFp16OnCpuForTests) {
            throw new IllegalArgumentException("fp16 mixed precision runs on a GPU only (device is " + device
                    + "): on the CPU float16 is slower than float32 and gains nothing; use precision fp32 there");
        }
    }

    // ------------------------------------------------------------------ training

    /**
     * One optimizer step on {@code batch} (any size &gt;= 1; split into {@code accumulation} micro-batches).
     *
     * @return the step's metrics (rewards, accuracies, margins, grad norm, learning rate, throughput)
     */
    public StepMetrics trainStep(List<TextPair> batch) {
        if (batch == null || batch.isEmpty()) {
            throw new IllegalArgumentException("a training step needs at least one pair");
        }
        long t0 = System.nanoTime();
        long referenceNs = 0;
        long forwardNs = 0;
        long backwardNs = 0;
        double lr = schedule.lrAt(step);
        double lossScale = scaler == null ? 1.0 : scaler.scale();
        List<List<TextPair>> micro = split(batch, Math.min(config.gradientAccumulation(), batch.size()));
        long tokens = 0;
        int truncated = 0;
        boolean skipped = false;
        float[] host;
        ParameterGradients.release(params);
        // step-varying scalars (micro-batch shares, loss scale) come from a per-step factory; config constants from
        // the memoizing one
        try (NDManager scope = NDManager.newBaseManager(device); ScalarArrays stepScalars = ScalarArrays.perStep()) {
            NDArray metricSum = null;
            for (List<TextPair> pairs : micro) {
                double share = (double) pairs.size() / batch.size();
                try (NDManager mb = scope.newSubManager()) {
                    CollatedBatch cb = collator.collate(pairs);
                    tokens += cb.realTokens();
                    truncated += cb.truncatedPairs();
                    long phase = System.nanoTime();
                    NDArray refSums = reference.logps(cb, pairs, mb);
                    referenceNs += System.nanoTime() - phase;
                    phase = System.nanoTime();
                    NDArray vec;
                    try (GradientCollector gc = policy.manager().getEngine().newGradientCollector()) {
                        SequenceScores scores;
                        CheckpointedBody body = null;
                        DecoderModel decoder = checkpointableBody();
                        if (decoder != null) {
                            SequenceScores.Checkpointed c = SequenceScores.computeCheckpointed(decoder, cb, mb,
                                    config.dpo().useWeighting());
                            scores = c.scores();
                            body = c.body();
                        } else {
                            scores = SequenceScores.computeForBackward(policy, cb, mb, config.dpo().useWeighting());
                        }
                        PairLogps x = pairLogps(scores, refSums, cb, mb);
                        NDArray pw = cb.unitWeights() ? null : cb.pairWeights(mb);
                        DpoLosses.Output out = DpoLosses.compute(x, config.dpo(), baseline, constants, pw);
                        long backwardStart = System.nanoTime();
                        forwardNs += backwardStart - phase;
                        gc.backward(out.loss().mul(stepScalars.of(share * lossScale)));
                        scores.backwardHead();  // a deferred head, recomputed chunk by chunk, into the body
                        if (body != null) {
                            body.backward();   // the blocks, recomputed one at a time, last first
                        }
                        backwardNs += System.nanoTime() - backwardStart;
                        vec = RewardMetrics.compute(x, out.loss(), config.dpo().beta(), constants)
                                .mul(stepScalars.of(share));
                    }
                    vec.attach(scope);
                    metricSum = metricSum == null ? vec : metricSum.add(vec);
                }
            }
            Map<String, NDArray> grads = ParameterGradients.views(params, scope);
            NDArray nonFinite = null;
            if (scaler != null) {
                grads = unscaled(grads, lossScale, scope, stepScalars);
                nonFinite = countNonFinite(grads, scope);
            }
            NDArray norm = GradientClipping.clip(grads, config.clipNorm(), scope, constants);
            NDList tail = new NDList(metricSum, norm.toType(DataType.FLOAT32, false).reshape(1));
            if (nonFinite != null) {
                tail.add(nonFinite.reshape(1));
            }
            host = NDArrays.concat(tail).toFloatArray(); // the step's one device->host copy
            if (scaler != null) {
                skipped = !scaler.update(host[RewardMetrics.NAMES.size() + 1] > 0);
                if (skipped) {
                    LOG.warn("step {}: non-finite gradients at loss scale {}, update skipped", step + 1, lossScale);
                }
            }
            if (!skipped) {
                optimizer.update(lr, grads, scope);
            }
        }
        ParameterGradients.release(params);
        step++;
        reference.afterStep(step, policy, constants);
        double millis = (System.nanoTime() - t0) / 1e6;
        lastPhases = new StepPhases(referenceNs / 1e6, forwardNs / 1e6, backwardNs / 1e6,
                millis - (referenceNs + forwardNs + backwardNs) / 1e6);
        return StepMetrics.of(step, host, lr, tokens, batch.size(), truncated, skipped, millis);
    }

    /** Where the last step's time went ({@link StepPhases#NONE} before the first). */
    public StepPhases lastStepPhases() {
        return lastPhases;
    }

    /** True when training steps recompute the decoder blocks in backward (gradient checkpointing is on and applies). */
    public boolean recomputesBlocks() {
        return checkpointable != null;
    }

    /**
     * The decoder whose blocks gradient checkpointing recomputes, or null when it is off: the policy itself, or
     * with LoRA the frozen base, whose forward applies the adapters while they are enabled (so the recomputed blocks
     * produce the adapters' gradients).
     */
    private DecoderModel checkpointableBody() {
        return checkpointable;
    }

    private DecoderModel findCheckpointableBody() {
        if (!config.gradientCheckpointing()) {
            return null;
        }
        if (policy instanceof DecoderModel decoder) {
            return decoder;
        }
        return policy instanceof LoraModel lora ? lora.base() : null;
    }

    /**
     * Metrics over held-out pairs without gradients and without changing any training state (weights, optimizer,
     * bco baseline). Pairs are processed in chunks of pairsPerOptimizerStep / gradientAccumulation.
     */
    public EvalMetrics evaluate(List<TextPair> pairs) {
        if (pairs == null || pairs.isEmpty()) {
            throw new IllegalArgumentException("evaluation needs at least one pair");
        }
        int chunk = Math.max(1, config.pairsPerOptimizerStep() / config.gradientAccumulation());
        float[] host;
        try (RewardBaseline evalBaseline = baseline.copy();
             NoGrad ignored = NoGrad.enter();
             NDManager scope = NDManager.newBaseManager(device);
             ScalarArrays shares = ScalarArrays.perStep()) {
            NDArray sum = null;
            for (int from = 0; from < pairs.size(); from += chunk) {
                List<TextPair> part = pairs.subList(from, Math.min(pairs.size(), from + chunk));
                double share = (double) part.size() / pairs.size();
                try (NDManager mb = scope.newSubManager()) {
                    CollatedBatch cb = collator.collate(part);
                    NDArray refSums = reference.logps(cb, part, mb);
                    SequenceScores scores = SequenceScores.compute(policy, cb, mb, config.dpo().useWeighting());
                    PairLogps x = pairLogps(scores, refSums, cb, mb);
                    NDArray pw = cb.unitWeights() ? null : cb.pairWeights(mb);
                    DpoLosses.Output out = DpoLosses.compute(x, config.dpo(), evalBaseline, constants, pw);
                    NDArray prefers = x.policyChosen().gt(x.policyRejected()).toType(DataType.FLOAT32, false)
                            .mean().reshape(1);
                    NDArray vec = NDArrays.concat(new NDList(
                            RewardMetrics.compute(x, out.loss(), config.dpo().beta(), constants), prefers))
                            .mul(shares.of(share));
                    vec.attach(scope);
                    sum = sum == null ? vec : sum.add(vec);
                }
            }
            host = sum.toFloatArray();
        }
        return new EvalMetrics(host[0], host[1], host[2], host[3], host[4], host[5], host[6], host[7], pairs.size());
    }

    /**
     * Iteration boundary of iterative DPO (call before the iteration's first step, also after a resume): in
     * REFRESH mode the reference becomes a copy of the current policy, once per iteration number.
     *
     * @return true if the reference changed
     */
    public boolean startIteration(long iteration) {
        boolean changed = reference.startIteration(iteration, policy);
        if (changed && policy instanceof LoraModel) {
            // REFRESH merged the adapters into the base: fresh adapters get fresh moments (bias correction from
            // step 0, as a new PEFT optimizer would), and the new base is written once at the next checkpoint
            Map<String, NDArray> zeros = new LinkedHashMap<>();
            Map<String, NDArray> masters = new LinkedHashMap<>();
            try (NDManager tmp = NDManager.newBaseManager(device)) {
                params.forEach((k, v) -> {
                    zeros.put(k, tmp.zeros(v.getShape(), DataType.FLOAT32));
                    masters.put(k, v.stopGradient().toType(DataType.FLOAT32, true));
                });
                masters.values().forEach(a -> a.attach(tmp));
                optimizer.restore(0, zeros, zeros, masters);
            }
            loraBase = null;
        }
        return changed;
    }

    /**
     * LoRA only: declares that the frozen base is the model directory {@code base} (checked by hash), so
     * checkpoints reference it instead of writing a copy. Without it the base is written once into the
     * checkpoints root's {@link BaseReference#STORE_DIR} at the first checkpoint.
     */
    public void useLoraBase(BaseReference base) {
        if (!(policy instanceof LoraModel)) {
            throw new IllegalStateException("not a LoRA trainer");
        }
        this.loraBase = base;
    }

    /** LoRA only: the base reference of the last checkpoint (null before the first one, or for full models). */
    public BaseReference loraBase() {
        return loraBase;
    }

    private PairLogps pairLogps(SequenceScores scores, NDArray refSums, CollatedBatch cb, NDManager mb) {
        int b = cb.pairs();
        NDArray sums = DtypeCast.to(scores.sums(), DataType.FLOAT32); // toType would cut the graph
        NDArray ref = refSums.toType(DataType.FLOAT32, false).stopGradient();
        ref.attach(mb);
        NDArray counts = cb.tokenCounts(mb);
        NDArray wc = null;
        NDArray wr = null;
        if (scores.wpoWeights() != null) {
            wc = scores.wpoWeights().get("0:{}", b);
            wr = scores.wpoWeights().get("{}:", b);
        }
        return new PairLogps(sums.get("0:{}", b), sums.get("{}:", b), ref.get("0:{}", b), ref.get("{}:", b),
                counts.get("0:{}", b), counts.get("{}:", b), wc, wr);
    }

    private static Map<String, NDArray> unscaled(Map<String, NDArray> grads, double lossScale, NDManager scope,
                                                ScalarArrays stepScalars) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        NDArray inverse = stepScalars.of(1.0 / lossScale);
        for (Map.Entry<String, NDArray> e : grads.entrySet()) {
            NDArray g32 = e.getValue().toType(DataType.FLOAT32, true);
            g32.attach(scope);
            out.put(e.getKey(), g32.muli(inverse));
        }
        return out;
    }

    private static NDArray countNonFinite(Map<String, NDArray> grads, NDManager scope) {
        NDList counts = new NDList();
        for (NDArray g : grads.values()) {
            NDArray bad = g.isNaN().logicalOr(g.isInfinite()).toType(DataType.FLOAT32, false).sum();
            bad.attach(scope);
            counts.add(bad);
        }
        NDArray total = NDArrays.stack(counts).sum();
        total.attach(scope);
        return total;
    }

    private static List<List<TextPair>> split(List<TextPair> batch, int parts) {
        List<List<TextPair>> out = new ArrayList<>(parts);
        int n = batch.size();
        for (int i = 0; i < parts; i++) {
            int from = (int) ((long) n * i / parts);
            int to = (int) ((long) n * (i + 1) / parts);
            out.add(batch.subList(from, to));
        }
        return out;
    }

    private static void checkCompatible(CausalLM policy, CausalLM reference) {
        Map<String, NDArray> p = policy.parameters();
        Map<String, NDArray> r = reference.parameters();
        if (!p.keySet().equals(r.keySet())) {
            throw new IllegalArgumentException("policy and reference have different tensors: " + p.keySet() + " vs "
                    + r.keySet());
        }
        for (Map.Entry<String, NDArray> e : p.entrySet()) {
            if (!e.getValue().getShape().equals(r.get(e.getKey()).getShape())) {
                throw new IllegalArgumentException("policy and reference differ in shape of " + e.getKey());
            }
        }
    }

    // ------------------------------------------------------------------ state

    /** Optimizer steps taken. */
    public long step() {
        return step;
    }

    /** The reference's version (changes whenever the reference changes). */
    public String referenceVersion() {
        return reference.version();
    }

    public TrainerConfig config() {
        return config;
    }

    /** Hyperparameters this lineage changed on restores (empty for a run that kept its settings). */
    public List<SettingChange> overrides() {
        return overrides;
    }

    public CausalLM policy() {
        return policy;
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    public ReferencePolicy reference() {
        return reference;
    }

    /**
     * The frozen reference as a model equal to the initial policy for the whole run, when there is one: full
     * fine-tuning with a FIXED reference in float32 (REFRESH and TR-DPO change the reference; a LoRA reference is
     * the policy's own base with its adapters off, which the caller must not see; a float16 reference would score
     * differently from a float32 copy of the initial model; a reference kept in host memory is on another device). A FIXED reference restored from a checkpoint is the
     * lineage's initial policy too: it is saved unchanged with every checkpoint. Others (the in-process publisher)
     * may read it between steps, on the training thread, instead of loading a copy of their own; they must never
     * change or close it.
     */
    public Optional<DecoderModel> frozenInitialPolicy() {
        if (config.referenceMode() != ReferenceMode.FIXED || policy instanceof LoraModel
                || !(reference.model() instanceof DecoderModel model) || !model.manager().getDevice().equals(device)) {
            return Optional.empty();
        }
        boolean float32 = model.parameters().values().stream().allMatch(p -> p.getDataType() == DataType.FLOAT32);
        return float32 ? Optional.of(model) : Optional.empty();
    }

    public AdamW optimizer() {
        return optimizer;
    }

    /** Learning rate the next step will use. */
    public double nextLearningRate() {
        return schedule.lrAt(step);
    }

    /**
     * Writes the full state into {@code dir}: the policy as a Hugging Face model directory ({@code config.json},
     * {@code model.safetensors}, tokenizer files) and {@code trainer-state/} with the optimizer moments, the
     * reference weights and {@code state.json} (config, step, seed, reference version and counters, bco baseline,
     * loss scaler, cached reference log-probs). Making the directory appear atomically is the caller's job.
     */
    public void saveState(Path dir) {
        try {
            Path s = dir.resolve(STATE_DIR);
            if (policy instanceof LoraModel lora) {
                // PEFT adapter directory + base reference; the base itself is never copied into a checkpoint
                if (loraBase == null) {
                    Path root = dir.toAbsolutePath().normalize().getParent();
                    loraBase = BaseStore.store(lora.base(), tokenizer, root.resolve(BaseReference.STORE_DIR));
                }
                PeftAdapterFiles.write(lora.adapters(), dir, loraBase.path());
                tokenizer.save(dir);
                Files.createDirectories(s);
                loraBase.write(s.resolve(BaseReference.FILE));
            } else {
                HfModelSaver.save(policy, dir, tokenizer);
                Files.createDirectories(s);
                if (StorageDtype.of(policy.config()) != StorageDtype.F32) {
                    SafetensorsWriter.write(s.resolve(POLICY_FILE), policy.parameters());
                }
            }
            Map<String, NDArray> opt = new LinkedHashMap<>();
            optimizer.firstMoments().forEach((k, v) -> opt.put("exp_avg." + k, v));
            optimizer.secondMoments().forEach((k, v) -> opt.put("exp_avg_sq." + k, v));
            optimizer.masterWeights().forEach((k, v) -> opt.put("master." + k, v));
            SafetensorsWriter.write(s.resolve(OPTIMIZER_FILE), opt,
                    Map.of("format", "pt", "step", Long.toString(optimizer.step())));
            if (!(policy instanceof LoraModel)) {   // LoRA: the reference is the referenced base
                Map<String, NDArray> refWeights = new LinkedHashMap<>();
                reference.model().parameters().forEach((k, v) -> refWeights.put(k, v.getDataType() == DataType.FLOAT32
                        ? v : v.toType(DataType.FLOAT32, false)));
                SafetensorsWriter.write(s.resolve(REFERENCE_FILE), refWeights,
                        Map.of("format", "pt", "reference_version", reference.version(), REFERENCE_DTYPE_KEY,
                                typeName(referenceWeightType())));
            }
            TrainerState state = new TrainerState(TrainerState.FORMAT, config, step, config.seed(),
                    reference.version(), reference.generation(), reference.lastIteration(), baseline.meanValue(),
                    baseline.updates(), scaler == null ? null : scaler.scale(),
                    scaler == null ? null : scaler.goodSteps(), scaler == null ? null : scaler.skippedSteps(),
                    reference.cacheSnapshot(), overrides);
            JSON.writerWithDefaultPrettyPrinter().writeValue(s.resolve(STATE_FILE).toFile(), state);
            LOG.info("saved trainer state at step {} (reference {}) to {}", step, reference.version(), dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save trainer state to " + dir, e);
        }
    }

    /**
     * Restores a trainer saved by {@link #saveState}; the same steps afterwards give bit-identical weights to an
     * uninterrupted run.
     *
     * @param tokenizer the tokenizer to use, or null to load the directory's {@code tokenizer.json}
     */
    public static DpoTrainer restore(Path dir, Device device, TextTokenizer tokenizer) {
        return restore(dir, device, tokenizer, RestoreOptions.exact());
    }

    /**
     * Restores a trainer saved by {@link #saveState}, optionally with other hyperparameters or a fresh optimizer
     * (see {@link RestoreOptions} for what happens to AdamW's moments and the LR schedule). The changes are kept
     * in {@link #overrides()} and saved with the state.
     *
     * @param tokenizer the tokenizer to use, or null to load the directory's {@code tokenizer.json}
     * @throws IllegalArgumentException when the new settings change something structural: the precision (the
     *                                  saved weights, masters and loss scaler are of the saved type) or a max length
     *                                  beyond the model's positions (the architecture is the checkpoint's)
     */
    public static DpoTrainer restore(Path dir, Device device, TextTokenizer tokenizer, RestoreOptions options) {
        Path s = dir.resolve(STATE_DIR);
        TrainerState state;
        try {
            state = JSON.readValue(s.resolve(STATE_FILE).toFile(), TrainerState.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + s.resolve(STATE_FILE), e);
        }
        if (state.format() != TrainerState.FORMAT) {
            throw new IllegalArgumentException(s.resolve(STATE_FILE) + ": unsupported trainer state format "
                    + state.format() + " (expected " + TrainerState.FORMAT + ")");
        }
        TrainerConfig saved = state.config();
        TrainerConfig config = options.hyperparameters().apply(saved);
        if (config.precision() != saved.precision()) {
            throw new IllegalArgumentException("precision cannot change on restore: " + dir + " was trained in "
                    + saved.precision() + " (weights, optimizer masters and loss scale are of that type), the new "
                    + "settings ask for " + config.precision() + "; start a new lineage from its weights instead "
                    + "(prefstream replay/train --initial " + dir + " --precision " + config.precision().name()
                    .toLowerCase(java.util.Locale.ROOT) + ")");
        }
        if (!config.lora().equals(saved.lora())) {
            throw new IllegalArgumentException("LoRA settings cannot change on restore: " + dir + " was trained with "
                    + "LoRA " + saved.lora().describe() + ", the new settings ask for " + config.lora().describe()
                    + "; start a new lineage instead: from a full checkpoint with prefstream replay --initial DIR "
                    + "--lora-rank R, from a LoRA one after prefstream export --merge");
        }
        List<SettingChange> changes = SettingChange.between(saved, config);
        checkPrecisionSupported(config.precision(), device);
        BaseReference loraBase = config.lora().enabled() ? BaseReference.read(s.resolve(BaseReference.FILE)).verify() : null;
        // LoRA: the frozen base as referenced; full fine-tuning: the exact float32 weights when the HF copy is narrower
        DecoderModel policy = loraBase != null
                ? HfModelLoader.load(loraBase.dir(), device, config.precision().weightType())
                : exactPolicyWeights(HfModelLoader.load(dir, device, config.precision().weightType()),
                        s.resolve(POLICY_FILE));
        // a max length beyond the checkpoint's positions (saved before lengths were fitted, or asked for now) is
        // fitted like at creation: the architecture is the checkpoint's and cannot change
        TrainerConfig fitted = fitToContext(config, policy.config().maxPositions());
        if (!fitted.equals(config)) {
            changes = SettingChange.between(saved, fitted);
            config = fitted;
        }
        NDManager root = NDManager.newBaseManager(config.referencePlacement().weightsDevice(device));
        DpoTrainer trainer;
        try {
            TextTokenizer tok = tokenizer != null ? tokenizer : Tokenizers.load(dir, policy.config());
            if (loraBase != null) {
                root.close();   // LoRA: no reference weights to hold, the reference is the base
                root = null;
                trainer = restoredLora(policy, dir, tok, config, loraBase);
            } else {
                trainer = new DpoTrainer(policy, savedReference(s, policy, root.newSubManager()), root, tok, config);
            }
        } catch (RuntimeException e) {
            if (root != null) {
                root.close();
            }
            policy.close();
            throw e;
        }
        if (options.optimizer() == RestoreOptions.OptimizerState.FRESH) {
            LOG.info("fresh optimizer state for {}: AdamW moments zero, bias correction from step 0", dir);
        } else {
            try {
                restoreOptimizer(trainer, s.resolve(OPTIMIZER_FILE), state.step(), device);
            } catch (RuntimeException e) {
                trainer.close();
                throw e;
            }
        }
        trainer.step = state.step();
        trainer.baseline.restore(state.bcoMean(), state.bcoUpdates());
        trainer.reference.restoreCounters(state.referenceGeneration(), state.referenceLastIteration());
        if (sameCollation(saved, config)) {
            trainer.reference.restoreCache(state.referenceCache());
        } else {
            LOG.info("cached reference log-probs dropped: collation or cache size changed on restore");
        }
        trainer.overrides = SettingChange.compose(state.overrides(), changes);
        if (options.optimizer() == RestoreOptions.OptimizerState.FRESH) {
            trainer.overrides = SettingChange.compose(trainer.overrides,
                    List.of(new SettingChange("optimizerState", "restored", "fresh")));
        }
        if (!changes.isEmpty()) {
            LOG.info("restored {} with changed hyperparameters: {}", dir, SettingChange.describe(changes));
        }
        if (trainer.scaler != null && state.lossScale() != null) {
            trainer.scaler.restore(state.lossScale(), state.scalerGoodSteps(), state.scalerSkippedSteps());
        }
        if (!trainer.reference.version().equals(state.referenceVersion())) {
            throw new IllegalStateException("restored reference version " + trainer.reference.version()
                    + " differs from the saved " + state.referenceVersion());
        }
        LOG.info("restored trainer at step {} (reference {}) from {}", trainer.step, trainer.referenceVersion(), dir);
        return trainer;
    }

    /** The reference weights saved in {@code stateDir} (full fine-tuning), in {@code refManager}. */
    private static DecoderModel savedReference(Path stateDir, DecoderModel policy, NDManager refManager) {
        Map<String, NDArray> refWeights = new LinkedHashMap<>();
        try (SafetensorsReader reader = SafetensorsReader.open(stateDir.resolve(REFERENCE_FILE))) {
            DataType refType = weightType(reader.metadata().getOrDefault(REFERENCE_DTYPE_KEY, "float32"));
            for (String name : policy.parameters().keySet()) {
                NDArray stored = reader.read(name, refManager);     // float32; float16 values convert back exactly
                NDArray w = stored.toType(refType, false);
                if (w != stored) {
                    w.attach(refManager);
                    stored.close();
                }
                refWeights.put(name, w);
            }
        }
        return new DecoderModel(policy.config(), refManager, refWeights);
    }

    /** LoRA: the verified base wrapped with the checkpoint's adapters; the reference is the base itself. */
    private static DpoTrainer restoredLora(DecoderModel base, Path dir, TextTokenizer tok, TrainerConfig config,
                                           BaseReference loraBase) {
        LoraModel lora = LoraModel.wrap(base, config.lora(), config.seed());
        PeftAdapterFiles.load(dir, lora.adapters());
        DpoTrainer trainer = new DpoTrainer(lora, lora.reference(), null, tok, config);
        trainer.loraBase = loraBase;
        return trainer;
    }

    /** {@code loaded} with its weights replaced by the exact ones of {@code file} when it exists (see {@link #POLICY_FILE}). */
    private static DecoderModel exactPolicyWeights(DecoderModel loaded, Path file) {
        if (!Files.isRegularFile(file)) {
            return loaded;
        }
        NDManager m = NDManager.newBaseManager(loaded.manager().getDevice());
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            Map<String, NDArray> weights = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : loaded.parameters().entrySet()) {
                weights.put(e.getKey(), DtypeCast.replaceConstant(reader.read(e.getKey(), m), e.getValue().getDataType()));
            }
            DecoderModel exact = new DecoderModel(loaded.config(), m, weights);
            loaded.close();
            return exact;
        } catch (RuntimeException e) {
            m.close();
            loaded.close();
            throw e;
        }
    }

    private static void restoreOptimizer(DpoTrainer trainer, Path file, long savedStep, Device device) {
        try (SafetensorsReader reader = SafetensorsReader.open(file);
             NDManager tmp = NDManager.newBaseManager(device)) {
            Map<String, NDArray> m = new LinkedHashMap<>();
            Map<String, NDArray> v = new LinkedHashMap<>();
            Map<String, NDArray> masters = new LinkedHashMap<>();
            for (String name : trainer.params.keySet()) {
                m.put(name, reader.read("exp_avg." + name, tmp));
                v.put(name, reader.read("exp_avg_sq." + name, tmp));
                if (reader.entries().containsKey("master." + name)) {
                    masters.put(name, reader.read("master." + name, tmp));
                }
            }
            long optStep = Long.parseLong(reader.metadata().getOrDefault("step", Long.toString(savedStep)));
            trainer.optimizer.restore(optStep, m, v, masters);
        }
    }

    private static boolean sameCollation(TrainerConfig a, TrainerConfig b) {
        return a.maxLength() == b.maxLength() && a.maxPromptLength() == b.maxPromptLength()
                && a.truncation() == b.truncation() && a.referenceCacheSize() == b.referenceCacheSize();
    }

    /** The dynamic loss scaler (FP16), or null in FP32 (package-private: tests inspect and steer it). */
    DynamicLossScaler lossScaler() {
        return scaler;
    }

    private DataType referenceWeightType() {
        return reference.model().parameters().values().iterator().next().getDataType();
    }

    private static String typeName(DataType type) {
        return type.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static DataType weightType(String name) {
        for (DataType t : new DataType[] {DataType.FLOAT32, DataType.FLOAT16}) {
            if (typeName(t).equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unsupported reference weight type '" + name + "' in " + REFERENCE_FILE);
    }

    @Override
    public void close() {
        try {
            optimizer.close();
            baseline.close();
            constants.close();
            reference.close();
            if (referenceRoot != null) {
                referenceRoot.close();
            }
        } finally {
            try {
                tokenizer.close();
            } finally {
                policy.close();
            }
        }
    }
}
