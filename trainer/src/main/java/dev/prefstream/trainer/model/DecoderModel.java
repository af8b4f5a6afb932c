package dev.prefstream.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import dev.prefstream.trainer.lora.LoraAdapters;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The one decoder forward pass, written with plain DJL NDArray operations (PyTorch engine) and driven only by the
 * capabilities in {@link ModelConfig}, numerically following transformers' eager implementations of the families
 * that set them ({@link dev.prefstream.trainer.model.family.ModelFamily}). It never asks which family a model is:
 * <ul>
 *   <li>embeddings: token rows (optionally {@code project_in} to the hidden size), times sqrt(hidden) rounded to the
 *       weights' type where {@link ModelConfig#scaleEmbeddings}, plus learned position rows (read at p + offset) or
 *       rotary embeddings on q/k (rotate_half convention; default, linear or llama3 frequencies,
 *       {@link RopeScaling}; on the first {@link ModelConfig#rotaryDim} dims of each head);</li>
 *   <li>norms: LayerNorm with bias, RMSNorm with statistics in float32, or RMSNorm scaled by (1 + w) in float32
 *       ({@link ModelConfig.NormKind}); pre-LN or post-LN blocks, optional sandwich norms on the sublayer outputs;</li>
 *   <li>attention: separate or fused q/k/v ({@link ModelConfig.QkvLayout}; the fused weight is used as stored),
 *       nn.Linear or Conv1D weights, optional biases, grouped-query heads, optional per-head q/k RMSNorm before
 *       RoPE, scores scaled by query_pre_attn_scalar^-0.5 and optionally soft-capped before the mask, a sliding
 *       window on the layers {@link ModelConfig#slidingWindowAt} names (query i sees keys j with
 *       i - window < j <= i, counted in cache columns as transformers' masks do, so left padding counts too);</li>
 *   <li>MLP: plain {@code down(act(up(x)))} or gated {@code down(act(gate(x)) * up(x))} ({@link ModelConfig.MlpKind})
 *       with exact-erf gelu, the tanh gelu, relu or silu;</li>
 *   <li>residuals: sequential, or parallel {@code x + attn(ln1(x)) + mlp(ln2(x))};</li>
 *   <li>head: final norm (if any), {@code project_out} back to the embedding width, tied or untied head,
 *       optional final-logit soft-cap.</li>
 * </ul>
 * Weights are found by {@link Part} through {@link WeightLayout}; their Hugging Face names appear only in the
 * families' {@link TensorNames}.
 * Memory rule: every operation has an array of the caller's scope as its receiver (or goes through
 * {@code NDArrayEx} ops, which attach to the input's manager), so nothing computed in {@link #forward} lands in the
 * model's manager. Scalars are 0-dim float32 CPU arrays created once: on CUDA, PyTorch treats them as scalars
 * without a device sync, unlike {@code NDArray.mul(Number)}; being 0-dim they also never promote a float16 operand.
 *
 * <p>Precision: the weights are float32 or float16 ({@link #toDtype}, {@link HfModelLoader#load(java.nio.file.Path,
 * Device, DataType)}), and every operation runs in the weights' type except where transformers computes in float32:
 * RMSNorm statistics (LayerNorm's are float32 inside PyTorch's kernel for half inputs), the attention softmax
 * (HF's {@code softmax(dtype=float32)}; the float32 mask bias promotes the scores) and the returned logits, which
 * are always float32 so that log-softmax and sampling run in float32 as TRL/HF do. Those casts go through
 * {@link DtypeCast}, because DJL's {@code toType} would cut the autograd graph. bfloat16 is refused: DJL 0.35.1
 * aborts the JVM casting to it.
 */
public final class DecoderModel implements CausalLM {

    /** Added to the scores of forbidden keys; finite so that fully masked (left-pad) rows give no NaN. */
    private static final float MASKED_SCORE = -1e9f;

    private final ModelConfig config;
    private final NDManager manager;
    private final NDManager scalars;
    private final LinkedHashMap<String, NDArray> params;
    /** Weights and biases by part: [part] for model-level parts, [layer][part] per block; null where absent. */
    private final NDArray[] modelWeights = new NDArray[Part.values().length];
    private final NDArray[] modelBiases = new NDArray[Part.values().length];
    private final NDArray[][] layerWeights;
    private final NDArray[][] layerBiases;
    private final DataType dtype;
    private final NDArray ropeCos;
    private final NDArray ropeSin;

    private final NDArray one;
    private final NDArray half;
    private final NDArray maskedScore;
    private final NDArray normEps;
    private final NDArray attentionScale;
    private final NDArray geluCubic;
    private final NDArray geluScale;
    private final NDArray embeddingScale;
    private final NDArray positionOffset;
    private final Softcap attentionSoftcap;
    private final Softcap logitSoftcap;

    /**
     * Builds a model around existing weights.
     *
     * @param config  architecture
     * @param manager owns the weights from now on (closed by {@link #close()}); weights are attached to it
     * @param weights every tensor of {@link WeightLayout#of(ModelConfig)}, HF names, all float32 or all float16
     */
    public DecoderModel(ModelConfig config, NDManager manager, Map<String, NDArray> weights) {
        this.config = config;
        this.manager = manager;
        this.params = new LinkedHashMap<>();
        this.layerWeights = new NDArray[config.numLayers()][Part.values().length];
        this.layerBiases = new NDArray[config.numLayers()][Part.values().length];
        DataType type = null;
        for (WeightLayout.Tensor t : WeightLayout.tensors(config)) {
            NDArray w = weights.get(t.name());
            if (w == null) {
                throw new ModelFormatException("missing tensor " + t.name());
            }
            if (!w.getShape().equals(t.shape())) {
                throw new ModelFormatException("tensor " + t.name() + " has shape " + w.getShape()
                        + ", expected " + t.shape());
            }
            if (type == null) {
                type = checkedWeightType(w.getDataType());
            } else if (w.getDataType() != type) {
                throw new ModelFormatException("tensor " + t.name() + " is " + w.getDataType() + " but the other "
                        + "weights are " + type + " (a model has one weight type)");
            }
            w.attach(manager);
            params.put(t.name(), w);
            NDArray[] slots = t.layer() < 0 ? (t.bias() ? modelBiases : modelWeights)
                    : (t.bias() ? layerBiases : layerWeights)[t.layer()];
            slots[t.part().ordinal()] = w;
        }
        this.dtype = type;
        this.scalars = manager.getEngine().newBaseManager(Device.cpu());
        this.one = scalars.create(1f);
        this.half = scalars.create(0.5f);
        this.maskedScore = scalars.create(-MASKED_SCORE);
        this.normEps = scalars.create((float) config.normEps());
        this.attentionScale = scalars.create((float) (1.0 / Math.sqrt(config.queryPreAttnScalar())));
        this.geluCubic = scalars.create(0.044715f);
        this.geluScale = scalars.create((float) Math.sqrt(2.0 / Math.PI));
        // Gemma: torch.tensor(hidden_size ** 0.5, dtype=hidden_states.dtype), i.e. rounded to the weights' type
        NDArray scale = scalars.create((float) Math.sqrt(config.hiddenSize()));
        this.embeddingScale = type == DataType.FLOAT16
                ? scale.toType(DataType.FLOAT16, false).toType(DataType.FLOAT32, false) : scale;
        // learned positions: position p reads row p + offset (OPTLearnedPositionalEmbedding's 2)
        this.positionOffset = scalars.create((long) config.positionOffset());
        this.attentionSoftcap = Softcap.of(scalars, config.attnLogitSoftcap());
        this.logitSoftcap = Softcap.of(scalars, config.finalLogitSoftcap());
        if (config.positions() == ModelConfig.Positions.ROTARY) {
            NDManager buffers = manager.newSubManager();
            NDArray[] tables = ropeTables(buffers, config);
            // computed in float32 and cast once, as HF's rotary embedding returns cos/sin in the input's type
            this.ropeCos = DtypeCast.replaceConstant(tables[0], dtype);
            this.ropeSin = DtypeCast.replaceConstant(tables[1], dtype);
        } else {
            this.ropeCos = null;
            this.ropeSin = null;
        }
    }

    /** The weight types a model can have; bfloat16 gets its own message (DJL 0.35.1 aborts the JVM on it). */
    private static DataType checkedWeightType(DataType type) {
        if (type == DataType.FLOAT32 || type == DataType.FLOAT16) {
            return type;
        }
        if (type == DataType.BFLOAT16) {
            throw new IllegalArgumentException("bfloat16 weights are not supported: DJL 0.35.1 aborts the JVM casting "
                    + "to bfloat16; use float32 or float16");
        }
        throw new IllegalArgumentException("weights must be float32 or float16, got " + type);
    }


    /**
     * cos/sin [maxPositions, d] = cat(freqs, freqs) with freqs[p, i] = p * inv_freq[i], inv_freq from the
     * config's {@link RopeScaling} (theta^(-2i/d) unscaled) rounded to float32 as HF keeps it; d is the rotated
     * width ({@link ModelConfig#rotaryDim}).
     */
    private static NDArray[] ropeTables(NDManager m, ModelConfig c) {
        int d = c.rotaryDim();
        int n = c.maxPositions();
        double[] exact = c.ropeScaling().inverseFrequencies(d, c.ropeTheta());
        float[] invFreq = new float[d / 2];
        for (int i = 0; i < d / 2; i++) {
            invFreq[i] = (float) exact[i];
        }
        float[] cos = new float[n * d];
        float[] sin = new float[n * d];
        for (int p = 0; p < n; p++) {
            for (int i = 0; i < d / 2; i++) {
                float angle = (float) p * invFreq[i];
                float cv = (float) Math.cos(angle);
                float sv = (float) Math.sin(angle);
                cos[p * d + i] = cv;
                cos[p * d + i + d / 2] = cv;
                sin[p * d + i] = sv;
                sin[p * d + i + d / 2] = sv;
            }
        }
        return new NDArray[] {m.create(cos, new Shape(n, d)), m.create(sin, new Shape(n, d))};
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    /** A new map each call; the arrays are the live weights (in-place updates take effect). */
    @Override
    public LinkedHashMap<String, NDArray> parameters() {
        return new LinkedHashMap<>(params);
    }

    /** Switches gradient recording on or off for every weight. */
    public void setTrainable(boolean trainable) {
        for (NDArray p : params.values()) {
            p.setRequiresGradient(trainable);
        }
    }

    /** Type of every weight (float32 or float16), hence of the activations between the float32 islands. */
    public DataType dtype() {
        return dtype;
    }

    /**
     * A copy of this model with weights of {@code type} (float32 or float16) in a new base manager on the same
     * device, owned by the copy; this model stays as it is (close both). float16 -> float32 is exact; float32 ->
     * float16 rounds to nearest even, like {@code model.half()}. Gradients are not copied.
     *
     * @throws IllegalArgumentException for bfloat16 (DJL 0.35.1 aborts the JVM casting to it) or non-float types
     */
    public DecoderModel toDtype(DataType type) {
        checkedWeightType(type);
        NDManager target = NDManager.newBaseManager(manager.getDevice());
        try {
            Map<String, NDArray> cast = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                NDArray c;
                try (NDArray detached = e.getValue().stopGradient()) {   // a view; closing it frees only the handle
                    c = detached.toType(type, true);
                }
                c.attach(target);
                cast.put(e.getKey(), c);
            }
            return new DecoderModel(config, target, cast);
        } catch (RuntimeException e) {
            target.close();
            throw e;
        }
    }

    /** Number of trainable scalars. */
    public long parameterCount() {
        return params.values().stream().mapToLong(NDArray::size).sum();
    }

    /** A deep copy (no gradients) whose weights live in a new sub-manager of {@code parent}, on its device. */
    public DecoderModel copy(NDManager parent) {
        NDManager target = parent.newSubManager();
        Map<String, NDArray> copies = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray c;
            try (NDArray detached = e.getValue().stopGradient()) {   // a view; closing it frees only the handle
                // onto the target's device when it is another one (a reference kept in host memory, staged back)
                c = detached.getDevice().equals(target.getDevice()) ? detached.duplicate()
                        : detached.toDevice(target.getDevice(), true);
            }
            c.attach(target);
            copies.put(e.getKey(), c);
        }
        return new DecoderModel(config, target, copies);
    }

    @Override
    public NDArray forward(NDArray inputIds, NDArray attentionMask) {
        return forward(inputIds, attentionMask, null, null);
    }

    /**
     * The general forward pass (generation uses it with left padding and a cache).
     *
     * @param inputIds      int64 [B, T], the new positions
     * @param attentionMask [B, P + T] over cached and new keys, nonzero for real tokens (any padding side); may be null
     * @param positionIds   int64 [B, T] or null for P..P+T-1
     * @param cache         keys/values of the P earlier positions (appended to), or null
     * @return float32 [B, T, V] logits in the manager of {@code inputIds} (upcast from float16 weights)
     */
    public NDArray forward(NDArray inputIds, NDArray attentionMask, NDArray positionIds, KvCache cache) {
        BlockInputs in = blockInputs(inputIds, attentionMask, positionIds, cache);
        NDArray x = embed(in);
        for (int i = 0; i < config.numLayers(); i++) {
            x = block(i, x, in);
        }
        NDArray logits = logits(finalHidden(x));
        if (cache != null) {
            cache.advance(in.length());
        }
        return logits;
    }

    @Override
    public <T> T withDecoder(Function<DecoderModel, T> stages) {
        return stages.apply(this);
    }

    /** The last block's output (before the final norm) for a right-padded batch; see {@link #forward}. */
    public NDArray bodyOutput(NDArray inputIds, NDArray attentionMask) {
        BlockInputs in = blockInputs(inputIds, attentionMask, null, null);
        NDArray x = embed(in);
        for (int i = 0; i < config.numLayers(); i++) {
            x = block(i, x, in);
        }
        return x;
    }

    /**
     * What every stage of one forward pass reads besides the hidden states: the ids, the additive attention biases
     * (full and sliding-window), the rotary tables gathered at the positions, the cache. Arrays in the manager of
     * the ids. The stages ({@link #embed}, {@link #block}, {@link #finalHidden}, {@link #logits}) are exactly
     * {@link #forward} cut at the block boundaries, for callers that run them piecewise (chunked log-probs,
     * gradient checkpointing).
     */
    public record BlockInputs(NDArray inputIds, NDArray positionIds, NDArray bias, NDArray windowBias, NDArray cos,
                              NDArray sin, KvCache cache, int length) {
    }

    /** Validates the inputs of a forward pass and builds its {@link BlockInputs}; parameters as {@link #forward}. */
    public BlockInputs blockInputs(NDArray inputIds, NDArray attentionMask, NDArray positionIds, KvCache cache) {
        NDManager m = inputIds.getManager();
        Shape shape = inputIds.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException("inputIds must be [batch, time], got " + shape);
        }
        long b = shape.get(0);
        int t = Math.toIntExact(shape.get(1));
        int past = cache == null ? 0 : cache.length();
        if (past + t > config.maxPositions()) {
            throw new IllegalArgumentException("sequence of " + (past + t) + " positions exceeds max_position_embeddings "
                    + config.maxPositions());
        }
        if (attentionMask != null && !attentionMask.getShape().equals(new Shape(b, past + t))) {
            throw new IllegalArgumentException("attentionMask must be [" + b + ", " + (past + t) + "], got "
                    + attentionMask.getShape());
        }
        NDArray pos = positionIds != null ? positionIds
                : m.arange(past, past + t, 1, DataType.INT64).expandDims(0);
        NDArray bias = attentionBias(m, attentionMask, t, past, null);
        NDArray windowBias = config.hasSlidingLayers()
                ? attentionBias(m, attentionMask, t, past, config.slidingWindow()) : null;
        NDArray cos = null;
        NDArray sin = null;
        if (ropeCos != null) {
            cos = embed(pos, ropeCos).expandDims(1);
            sin = embed(pos, ropeSin).expandDims(1);
        }
        return new BlockInputs(inputIds, pos, bias, windowBias, cos, sin, cache, t);
    }

    /** The input of block 0: token (and learned position) embeddings, in the manager of the ids. */
    public NDArray embed(BlockInputs in) {
        NDArray x = embed(in.inputIds(), model(Part.TOKEN_EMBEDDING));
        if (config.projectsEmbeddings()) {
            x = project(x, model(Part.PROJECT_IN), null);
        }
        if (config.scaleEmbeddings()) {
            x = x.mul(embeddingScale);
        }
        if (config.positions() == ModelConfig.Positions.LEARNED) {
            NDArray rows = config.positionOffset() == 0 ? in.positionIds() : in.positionIds().add(positionOffset);
            x = x.add(embed(rows, model(Part.POSITION_EMBEDDING)));
        }
        return x;
    }

    /**
     * Decoder block {@code i} on {@code x}; the result is in x's manager. The block's intermediates go to a scope of
     * their own that closes before this returns, so those autograd did not save (raw and masked attention scores,
     * norm statistics, products consumed by the next op) are freed per block instead of living until the caller's
     * scope ends, as PyTorch frees an eager temporary once nothing references it.
     */
    public NDArray block(int i, NDArray x, BlockInputs in) {
        NDManager owner = x.getManager();
        try (NDManager scope = owner.newSubManager()) {
            x.tempAttach(scope);
            NDArray y = decoderBlock(i, x, in);
            y.attach(owner);
            return y;
        }
    }

    /** The last block's output through the final norm and project_out (where the config has them): what the head reads. */
    public NDArray finalHidden(NDArray x) {
        if (config.finalNorm()) {
            x = norm(x, model(Part.FINAL_NORM), modelBiases[Part.FINAL_NORM.ordinal()]);
        }
        if (config.projectsEmbeddings()) {
            x = project(x, model(Part.PROJECT_OUT), null);
        }
        return x;
    }

    /** The LM head's weight [V, H] (the token embedding when tied). */
    private NDArray headWeight() {
        return model(config.tieWordEmbeddings() ? Part.TOKEN_EMBEDDING : Part.LM_HEAD);
    }

    /**
     * Elements of the LM head's weight when it takes gradients (full fine-tuning), else 0 (a LoRA model's frozen base):
     * what every chunk of a training step's log-probs adds to the step as a weight gradient of its own.
     */
    public long trainableHeadElements() {
        NDArray head = headWeight();
        return head.hasGradient() ? head.size() : 0;
    }

    /**
     * float32 logits [.., V] of final hidden states [.., H] (any leading shape, e.g. a chunk of positions), in the
     * hidden states' manager: the LM head, the final-logit soft-cap, the upcast of float16.
     */
    public NDArray logits(NDArray hidden) {
        NDArray head = headWeight();
        NDArray logits = linear(hidden, head, null);
        if (logitSoftcap != null) {
            logits = logitSoftcap.apply(logits);      // in the weights' type, as transformers does
        }
        // float16 weights: log-softmax and sampling need float32 logits (HF/TRL upcast them too)
        return DtypeCast.to(logits, DataType.FLOAT32);
    }

    /**
     * Additive bias [B|1, 1, 1, T, P+T]: 0 where key k may be seen by query q (k <= P+q, k is real and, with a
     * window w, k > P+q-w), else -1e9.
     */
    private NDArray attentionBias(NDManager m, NDArray attentionMask, int t, int past, Integer window) {
        NDArray keyIdx = m.arange(0, past + t, 1, DataType.INT64);
        NDArray queryIdx = m.arange(past, past + t, 1, DataType.INT64).expandDims(1);
        NDArray allowed = keyIdx.lte(queryIdx);                       // [T, K]
        if (window != null) {
            // the oldest visible key of each query, as an array: no scalar op (a device sync on CUDA)
            NDArray oldest = m.arange(past - window + 1, past + t - window + 1, 1, DataType.INT64).expandDims(1);
            allowed = allowed.logicalAnd(keyIdx.gte(oldest));
        }
        if (attentionMask != null) {
            NDArray real = attentionMask.getDataType() == DataType.BOOLEAN
                    ? attentionMask : attentionMask.toType(DataType.BOOLEAN, false);
            allowed = real.expandDims(1).logicalAnd(allowed);         // [B, T, K]
        } else {
            allowed = allowed.expandDims(0);                          // [1, T, K]
        }
        return allowed.toType(DataType.FLOAT32, false).sub(one).mul(maskedScore).expandDims(1).expandDims(1);
    }

    /**
     * One block. Pre-LN: h = x + attn(norm1(x)); h + mlp(norm2(h)), with sandwich norms on the two sublayer outputs
     * where configured; parallel: x + attn(norm1(x)) + mlp(norm2(x)), summed as transformers' GPT-NeoX does,
     * (mlp + attn) + x; post-LN: h = norm1(x + attn(x)); norm2(h + mlp(h)).
     */
    private NDArray decoderBlock(int i, NDArray x, BlockInputs in) {
        boolean before = config.normBefore();
        NDArray h = before ? norm(i, Part.ATTN_NORM, x) : x;
        NDArray a = project(i, Part.ATTN_OUT, selfAttention(i, h, in));
        if (config.sandwichNorms()) {
            a = norm(i, Part.POST_ATTN_NORM, a);
        }
        if (config.parallelResidual()) {
            NDArray m = mlp(i, norm(i, Part.MLP_NORM, x));
            return m.add(a).add(x);
        }
        x = x.add(a);
        if (!before) {
            x = norm(i, Part.ATTN_NORM, x);
        }
        NDArray m = mlp(i, before ? norm(i, Part.MLP_NORM, x) : x);
        if (config.sandwichNorms()) {
            m = norm(i, Part.POST_MLP_NORM, m);
        }
        x = x.add(m);
        return before ? x : norm(i, Part.MLP_NORM, x);
    }

    /**
     * q, k, v of {@code h} as the config lays the projections out, then {@link #attention}. A fused [q | k | v]
     * output is cut in three along the features; a per-head fused output [B, T, 3 * hidden] is per head [q | k | v]
     * (head h's rows start at h * 3 * head_size), so it is viewed as [B, T, heads, 3 * head_size] and cut into three
     * [B, T, heads, head_size] parts; the fused weight is never split or copied.
     */
    private NDArray selfAttention(int i, NDArray h, BlockInputs in) {
        NDArray q;
        NDArray k;
        NDArray v;
        switch (config.qkvLayout()) {
            case FUSED -> {
                NDList qkv = project(i, Part.QKV, h).split(3, 2);
                q = qkv.get(0);
                k = qkv.get(1);
                v = qkv.get(2);
            }
            case FUSED_PER_HEAD -> {
                NDArray qkv = project(i, Part.QKV, h);
                Shape s = qkv.getShape();
                long bsz = s.get(0);
                long t = s.get(1);
                long heads = config.numHeads();
                long d = config.headDim();
                NDList parts = qkv.reshape(bsz, t, heads, 3 * d).split(3, 3);
                q = parts.get(0).reshape(bsz, t, heads * d);
                k = parts.get(1).reshape(bsz, t, heads * d);
                v = parts.get(2).reshape(bsz, t, heads * d);
            }
            default -> {
                q = project(i, Part.Q, h);
                k = project(i, Part.K, h);
                v = project(i, Part.V, h);
            }
        }
        NDArray bias = config.slidingWindowAt(i) ? in.windowBias() : in.bias();
        return attention(i, q, k, v, layerWeights[i][Part.Q_NORM.ordinal()], layerWeights[i][Part.K_NORM.ordinal()],
                in.cos(), in.sin(), bias, in.cache());
    }

    /** down(act(gate(h)) * up(h)) for a gated MLP (SwiGLU, GeGLU), down(act(up(h))) for a plain one. */
    private NDArray mlp(int i, NDArray h) {
        if (config.mlpKind() == ModelConfig.MlpKind.GATED) {
            NDArray gate = project(i, Part.MLP_GATE, h);
            NDArray up = project(i, Part.MLP_UP, h);
            return project(i, Part.MLP_DOWN, activation(gate).mul(up));
        }
        return project(i, Part.MLP_DOWN, activation(project(i, Part.MLP_UP, h)));
    }

    /** tanh(x / cap) * cap, the two factors as 0-dim float32 scalars (see the class comment); result in x's manager. */
    private record Softcap(NDArray inverse, NDArray cap) {
        static Softcap of(NDManager scalars, Double cap) {
            return cap == null ? null
                    : new Softcap(scalars.create((float) (1.0 / cap)), scalars.create(cap.floatValue()));
        }

        NDArray apply(NDArray x) {
            return x.mul(inverse).tanh().mul(cap);
        }
    }

    /** The MLP activation {@link ModelConfig#hiddenAct} (validated there); results in x's manager. */
    private NDArray activation(NDArray x) {
        return switch (config.hiddenAct()) {
            case "gelu" -> x.getNDArrayInternal().gelu();                      // torch gelu, exact erf
            case "gelu_new", "gelu_pytorch_tanh" -> geluNew(x);
            case "relu" -> x.getNDArrayInternal().relu();
            case "silu", "swish" -> x.mul(x.getNDArrayInternal().sigmoid());
            default -> throw new IllegalStateException("activation " + config.hiddenAct() + " passed validation");
        };
    }

    /**
     * Causal self-attention with grouped-query heads, computed as a 5-d broadcast ([B, kvHeads, group, T, D] queries
     * against [B, kvHeads, 1, K, D] keys) so that key/value heads are never copied per query head. With
     * {@code qNorm}/{@code kNorm} each head's query and key is RMS-normalised over head_dim before RoPE.
     */
    private NDArray attention(int layer, NDArray q, NDArray k, NDArray v, NDArray qNorm, NDArray kNorm,
                              NDArray cos, NDArray sin, NDArray bias, KvCache cache) {
        Shape s = q.getShape();
        long bsz = s.get(0);
        long t = s.get(1);
        int kvHeads = config.numKvHeads();
        int group = config.groupSize();
        int d = config.headDim();
        q = q.reshape(bsz, t, kvHeads, group, d);
        k = k.reshape(bsz, t, kvHeads, d);
        if (qNorm != null) {
            q = rmsNorm(q, qNorm, normEps);
            k = rmsNorm(k, kNorm, normEps);
        }
        q = q.transpose(0, 2, 3, 1, 4);                                       // [B, KV, G, T, D]
        k = k.transpose(0, 2, 1, 3);                                          // [B, KV, T, D]
        v = v.reshape(bsz, t, kvHeads, d).transpose(0, 2, 1, 3);
        if (cos != null) {
            q = partialRotary(q, cos.expandDims(1), sin.expandDims(1));
            k = partialRotary(k, cos, sin);
        }
        if (cache != null) {
            NDArray[] kv = cache.append(layer, k, v);
            k = kv[0];
            v = kv[1];
        }
        // scaled and masked in place: the same values as out of place (same operations, same order), without two
        // fresh [B, H, T, K] tensors per layer and pass. Autograd allows it: matmul saves its inputs, not its output,
        // and neither the scale's nor the bias's gradient needs the overwritten scores. Why it matters: at tiny
        // shapes those score-sized temporaries are most of a step's fresh memory, and fresh memory costs page faults
        NDArray scores = q.matMul(k.expandDims(2).swapAxes(3, 4)).muli(attentionScale);  // [B, KV, G, T, K]
        if (attentionSoftcap != null) {
            scores = attentionSoftcap.apply(scores);     // before the mask, as transformers
        }
        // the float32 bias promotes float16 scores to float32: HF's softmax(dtype=float32), then back to the weights'
        // type for the product with v (-1e9 would not even be finite in float16); float32 scores take it in place
        NDArray masked = scores.getDataType() == DataType.FLOAT32 ? scores.addi(bias) : scores.add(bias);
        NDArray probs = DtypeCast.to(masked.softmax(-1), dtype);
        NDArray out = probs.matMul(v.expandDims(2));                                      // [B, KV, G, T, D]
        return out.transpose(0, 3, 1, 2, 4).reshape(bsz, t, (long) config.numHeads() * d);
    }

    /** RoPE on the first {@link ModelConfig#rotaryDim} dims of each head, the rest passed through; the whole head when equal. */
    private NDArray partialRotary(NDArray x, NDArray cos, NDArray sin) {
        int rotated = config.rotaryDim();
        if (rotated == config.headDim()) {
            return rotary(x, cos, sin);
        }
        int last = x.getShape().dimension() - 1;
        NDList parts = x.split(new long[] {rotated}, last);
        return NDArrays.concat(new NDList(rotary(parts.get(0), cos, sin), parts.get(1)), last);
    }

    /** x * cos + rotate_half(x) * sin, rotate_half(x) = cat(-x2, x1) (HF convention, halves not interleaved). */
    private static NDArray rotary(NDArray x, NDArray cos, NDArray sin) {
        int last = x.getShape().dimension() - 1;
        NDList halves = x.split(2, last);
        NDArray rotated = NDArrays.concat(new NDList(halves.get(1).neg(), halves.get(0)), last);
        return x.mul(cos).add(rotated.mul(sin));
    }

    /** Block {@code i}'s norm {@code part} on x. */
    private NDArray norm(int i, Part part, NDArray x) {
        return norm(x, layer(i, part), layerBiases[i][part.ordinal()]);
    }

    /** The config's norm kind: LayerNorm (with bias), RMSNorm, or RMSNorm scaled by (1 + weight). */
    private NDArray norm(NDArray x, NDArray weight, NDArray bias) {
        return switch (config.normKind()) {
            case LAYER_NORM -> layerNorm(x, weight, bias);
            case RMS_NORM -> rmsNorm(x, weight, normEps);
            case RMS_NORM_UNIT_OFFSET -> unitOffsetRmsNorm(x, weight);
        };
    }

    /**
     * GemmaRMSNorm: (x32 / sqrt(mean(x32^2) + eps) * (1 + weight32)).to(input type): the weight is applied in float32
     * before the cast, unlike Llama. (1 + weight) is recomputed per call because training changes the weight; its
     * arrays are moved into x's manager so that nothing lands in the model's.
     */
    private NDArray unitOffsetRmsNorm(NDArray x, NDArray weight) {
        NDManager scope = x.getManager();
        NDArray xf = DtypeCast.to(x, DataType.FLOAT32);
        NDArray variance = xf.mul(xf).mean(new int[] {-1}, true);
        NDArray w32 = DtypeCast.to(weight, DataType.FLOAT32);
        if (w32 != weight) {
            w32.attach(scope);
        }
        NDArray scale = w32.add(one);
        scale.attach(scope);
        return DtypeCast.to(xf.div(variance.add(normEps).sqrt()).mul(scale), x.getDataType());
    }

    /** RMSNorm like HF: weight * (x32 / sqrt(mean(x32^2) + eps)).to(input type), statistics in float32. */
    private static NDArray rmsNorm(NDArray x, NDArray weight, NDArray eps) {
        NDArray xf = DtypeCast.to(x, DataType.FLOAT32);
        NDArray variance = xf.mul(xf).mean(new int[] {-1}, true);
        NDArray normed = DtypeCast.to(xf.div(variance.add(eps).sqrt()), x.getDataType());
        return normed.mul(weight);
    }

    private NDArray layerNorm(NDArray x, NDArray weight, NDArray bias) {
        return x.getNDArrayInternal()
                .layerNorm(x, new Shape(config.hiddenSize()), weight, bias, (float) config.normEps())
                .singletonOrThrow();
    }

    /** gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    private NDArray geluNew(NDArray x) {
        NDArray inner = x.add(x.mul(x).mul(x).mul(geluCubic)).mul(geluScale);
        return x.mul(half).mul(inner.tanh().add(one));
    }

    /**
     * x @ W^T + b with W in nn.Linear layout [out, in]; the result belongs to x's manager. Plus the LoRA delta when
     * an adapter wraps W ({@link #adapted}).
     */
    private NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return adapted(weight, x, x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow());
    }

    /** Conv1D (GPT-2's): x @ W (+ b) with W stored [in, out]; plus the LoRA delta when an adapter wraps W. */
    private NDArray conv1d(NDArray x, NDArray weight, NDArray bias) {
        NDArray y = x.matMul(weight);
        return adapted(weight, x, bias == null ? y : y.add(bias));
    }

    /** A projection as the config stores its weights: nn.Linear or Conv1D. */
    private NDArray project(NDArray x, NDArray weight, NDArray bias) {
        return config.conv1dWeights() ? conv1d(x, weight, bias) : linear(x, weight, bias);
    }

    /** Block {@code i}'s projection {@code part} of x, with its bias if it has one. */
    private NDArray project(int i, Part part, NDArray x) {
        return project(x, layer(i, part), layerBiases[i][part.ordinal()]);
    }

    // ---------------------------------------------------------------- LoRA hook (issue 13)
    // The only LoRA code in the model: every projection goes through linear()/conv1d(), which hand their input and
    // output to the attached adapters (dev.prefstream.trainer.lora.LoraAdapters). Without adapters, or with them
    // switched off (the DPO reference), the forward pass is exactly the base model's.

    /** Adapters applied to this model's projections, or null (full model). */
    private LoraAdapters adapters;

    /** Attaches adapters (built on this model's {@link #parameters()}), or detaches them with null. */
    public void attachAdapters(LoraAdapters adapters) {
        this.adapters = adapters;
    }

    /** The attached adapters, or null. */
    public LoraAdapters adapters() {
        return adapters;
    }

    private NDArray adapted(NDArray weight, NDArray x, NDArray y) {
        return adapters == null ? y : adapters.apply(weight, x, y);
    }
    // ---------------------------------------------------------------- end of LoRA hook

    /** Rows of {@code table} selected by {@code ids}, in the ids' manager. */
    private static NDArray embed(NDArray ids, NDArray table) {
        return ids.getNDArrayInternal().embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
    }

    /** The weight of a model-level part the config has. */
    private NDArray model(Part part) {
        NDArray a = modelWeights[part.ordinal()];
        if (a == null) {
            throw new IllegalStateException("no weight for " + part);
        }
        return a;
    }

    /** The weight of block {@code i}'s part, which the config has. */
    private NDArray layer(int i, Part part) {
        NDArray a = layerWeights[i][part.ordinal()];
        if (a == null) {
            throw new IllegalStateException("no weight for " + part + " in layer " + i);
        }
        return a;
    }

    @Override
    public void close() {
        if (adapters != null) {   // LoRA hook: attached adapters go with the model
            adapters.close();
        }
        scalars.close();
        manager.close();
    }
}
