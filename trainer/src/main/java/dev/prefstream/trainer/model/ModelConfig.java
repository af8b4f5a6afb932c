package dev.prefstream.trainer.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.family.ModelFamily;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The architecture of a decoder-only model as plain capabilities (the LitGPT way): sizes, which norm, which MLP, how
 * q/k/v are projected, learned or rotary positions, residual wiring, softcaps, sliding window, per-head q/k norms,
 * embedding scale, tied head. {@link DecoderModel} runs any combination and never asks which family a model is; the
 * Hugging Face families are only config readers/writers and tensor-name mappings ({@link ModelFamily}), which fill
 * these capabilities in from {@code config.json} and check what the family itself allows. What the forward pass
 * depends on is checked here, whatever the family, so a config that cannot run fails when it is built (read) with the
 * value that makes it unsupported.
 *
 * @param modelType          HF {@code model_type}; only says which {@link ModelFamily} reads, writes and names it
 * @param vocabSize          rows of the embedding and of the output head
 * @param hiddenSize         width of the residual stream
 * @param numLayers          transformer blocks
 * @param numHeads           query heads
 * @param numKvHeads         key/value heads, fewer than {@code numHeads} for grouped-query attention
 * @param headDim            width of one head
 * @param intermediateSize   MLP width
 * @param maxPositions       longest sequence
 * @param normKind           LayerNorm (with bias), RMSNorm, or RMSNorm scaled by (1 + w)
 * @param normEps            the norms' epsilon
 * @param normBefore         pre-LN blocks (norm, sublayer, residual add); false: post-LN (sublayer, residual add,
 *                           norm), OPT-350m's
 * @param sandwichNorms      the attention and MLP outputs are normalised again before their residual add
 *                           ({@link Part#POST_ATTN_NORM}, {@link Part#POST_MLP_NORM})
 * @param qkNorm             per-head RMSNorm of queries and keys over head_dim before RoPE
 * @param finalNorm          a norm after the last block
 * @param mlpKind            plain {@code down(act(up(x)))} or gated {@code down(act(gate(x)) * up(x))}
 * @param hiddenAct          the MLP activation (transformers' ACT2FN names): gelu (exact erf), gelu_new /
 *                           gelu_pytorch_tanh (tanh approximation), relu, silu / swish
 * @param qkvLayout          separate q/k/v projections, one fused projection whose output is [q | k | v], or one
 *                           whose output is per head [q | k | v]
 * @param conv1dWeights      projection weights are stored [in, out] and applied as {@code x @ W + b} (GPT-2's
 *                           Conv1D) instead of nn.Linear's [out, in]
 * @param qkvBias            the q/k/v projections have biases
 * @param outputBias         the attention output projection has a bias
 * @param mlpBias            the MLP projections have biases
 * @param parallelResidual   {@code x + attn(ln1(x)) + mlp(ln2(x))} instead of the sequential two residual adds
 * @param positions          learned position embeddings or rotary embeddings
 * @param positionOffset     row of the learned embedding that position 0 reads (OPT: 2)
 * @param ropeTheta          rotary base (unused with learned positions)
 * @param ropeScaling        RoPE frequency scaling; NONE without RoPE
 * @param partialRotaryFactor share of each head's dims that RoPE rotates (the first int(head_dim * factor))
 * @param queryPreAttnScalar attention scores are scaled by its -0.5 power (head_dim unless a family says otherwise)
 * @param attnLogitSoftcap   scores become tanh(s / cap) * cap before masking; null for none
 * @param slidingWindow      keys a windowed layer's query sees, itself included (query i sees keys j with
 *                           i - window < j <= i), or null for full causal attention everywhere
 * @param maxWindowLayers    the first layer that uses the window (layers {@code >=} it slide) when
 *                           {@code slidingLayers} is null
 * @param slidingLayers      per layer, whether it uses the window, or null where {@code maxWindowLayers} decides
 * @param scaleEmbeddings    token embeddings are multiplied by sqrt(hidden_size), rounded to the weights' type
 * @param wordEmbedProjDim   width of the token embedding and of the head, with {@link Part#PROJECT_IN} /
 *                           {@link Part#PROJECT_OUT} between it and the hidden size when they differ
 * @param tieWordEmbeddings  the output head is the token embedding
 * @param finalLogitSoftcap  logits become tanh(l / cap) * cap; null for none
 * @param bosTokenId         beginning-of-sequence id, or null
 * @param eosTokenId         end-of-sequence id (first one when the config lists several), or null
 * @param sourceJson         the config.json text this was read from (kept so that saving preserves unknown keys), or null
 */
public record ModelConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int intermediateSize,
        int maxPositions,
        NormKind normKind,
        double normEps,
        boolean normBefore,
        boolean sandwichNorms,
        boolean qkNorm,
        boolean finalNorm,
        MlpKind mlpKind,
        String hiddenAct,
        QkvLayout qkvLayout,
        boolean conv1dWeights,
        boolean qkvBias,
        boolean outputBias,
        boolean mlpBias,
        boolean parallelResidual,
        Positions positions,
        int positionOffset,
        double ropeTheta,
        RopeScaling ropeScaling,
        double partialRotaryFactor,
        double queryPreAttnScalar,
        Double attnLogitSoftcap,
        Integer slidingWindow,
        int maxWindowLayers,
        List<Boolean> slidingLayers,
        boolean scaleEmbeddings,
        int wordEmbedProjDim,
        boolean tieWordEmbeddings,
        Double finalLogitSoftcap,
        Integer bosTokenId,
        Integer eosTokenId,
        String sourceJson) {

    /** How a block's and the final norm normalise. */
    public enum NormKind {
        /** nn.LayerNorm with weight and bias (statistics in float32 inside PyTorch's kernel). */
        LAYER_NORM,
        /** weight * (x32 / sqrt(mean(x32^2) + eps)).to(input type): Llama's RMSNorm, weight applied after the cast. */
        RMS_NORM,
        /** (x32 / sqrt(mean(x32^2) + eps) * (1 + w32)).to(input type): Gemma's, weight stored as w, applied in float32. */
        RMS_NORM_UNIT_OFFSET
    }

    /** The MLP's shape; the activation is {@link #hiddenAct}. */
    public enum MlpKind {
        /** down(act(up(x))): GPT-2, GPT-NeoX, OPT. */
        PLAIN,
        /** down(act(gate(x)) * up(x)): SwiGLU with silu, GeGLU with the tanh gelu. */
        GATED
    }

    /** How queries, keys and values are projected. */
    public enum QkvLayout {
        /** Three projections {@link Part#Q}, {@link Part#K}, {@link Part#V}. */
        SEPARATE,
        /** One {@link Part#QKV} whose output is [q | k | v] (GPT-2's c_attn). */
        FUSED,
        /**
         * One {@link Part#QKV} whose output is per head [q | k | v] (GPT-NeoX's query_key_value): viewed as
         * [B, T, heads, 3 * head_dim] and cut, so the weight is used as stored.
         */
        FUSED_PER_HEAD
    }

    /** How positions enter the model. */
    public enum Positions {
        /** A learned embedding added to the token embedding ({@link Part#POSITION_EMBEDDING}). */
        LEARNED,
        /** Rotary embeddings on queries and keys. */
        ROTARY
    }

    /** MLP activations the forward pass implements, by MLP kind. */
    private static final List<String> PLAIN_ACTIVATIONS = List.of("gelu", "gelu_new", "gelu_pytorch_tanh", "relu",
            "silu", "swish");
    private static final List<String> GATED_ACTIVATIONS = List.of("silu", "swish", "gelu_new", "gelu_pytorch_tanh");

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** Real config.json files are a few KB; anything this large is not one (and would be read into memory whole). */
    private static final long MAX_CONFIG_BYTES = 16L * 1024 * 1024;

    public ModelConfig {
        if (modelType == null || !ModelFamily.supports(modelType)) {
            throw new ModelFormatException("unsupported model_type '" + modelType + "' (supported: "
                    + String.join(", ", ModelFamily.modelTypes()) + ")");
        }
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("num_hidden_layers", numLayers);
        positive("num_attention_heads", numHeads);
        positive("num_key_value_heads", numKvHeads);
        positive("head_dim", headDim);
        positive("intermediate_size", intermediateSize);
        positive("max_position_embeddings", maxPositions);
        // a config.json from an untrusted place must not make the loader compute wrapped-around int sizes or try
        // arrays Java cannot hold: every weight matrix (and the RoPE table) must have at most 2^31 - 9 elements
        fitsAnArray("vocab_size x hidden_size (embedding)", vocabSize, hiddenSize);
        fitsAnArray("hidden_size x intermediate_size (MLP)", hiddenSize, intermediateSize);
        fitsAnArray("num_attention_heads x head_dim x hidden_size (attention)", numHeads, headDim, hiddenSize);
        fitsAnArray("num_key_value_heads x head_dim x hidden_size (attention)", numKvHeads, headDim, hiddenSize);
        fitsAnArray("max_position_embeddings x max(head_dim, hidden_size) (positions)", maxPositions, Math.max(headDim, hiddenSize));
        if (numHeads % numKvHeads != 0) {
            throw new ModelFormatException("num_attention_heads (" + numHeads
                    + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
        }
        if (normKind == null || mlpKind == null || qkvLayout == null || positions == null || hiddenAct == null) {
            throw new ModelFormatException("norm kind, MLP kind, q/k/v layout, positions and activation must be set");
        }
        if (!(normEps > 0)) {
            throw new ModelFormatException("norm epsilon must be > 0, got " + normEps);
        }
        List<String> activations = mlpKind == MlpKind.PLAIN ? PLAIN_ACTIVATIONS : GATED_ACTIVATIONS;
        if (!activations.contains(hiddenAct)) {
            throw new ModelFormatException(modelType + " hidden_act '" + hiddenAct + "' is not supported for a "
                    + mlpKind.name().toLowerCase(Locale.ROOT) + " MLP (" + String.join(", ", activations) + ")");
        }
        if (qkvLayout != QkvLayout.SEPARATE && (numKvHeads != numHeads || headDim * numHeads != hiddenSize)) {
            throw new ModelFormatException(modelType + " with a fused q/k/v projection needs num_attention_heads * "
                    + "head_dim == hidden_size and no grouped-query heads");
        }
        if (ropeScaling == null) {
            throw new ModelFormatException("ropeScaling must not be null (RopeScaling.NONE for unscaled RoPE)");
        }
        if (positions == Positions.LEARNED) {
            if (!ropeScaling.equals(RopeScaling.NONE)) {
                throw new ModelFormatException(modelType + " has learned positions, not RoPE: rope scaling does not "
                        + "apply");
            }
            if (positionOffset < 0) {
                throw new ModelFormatException("position offset must be >= 0, got " + positionOffset);
            }
        } else {
            if (!(partialRotaryFactor > 0 && partialRotaryFactor <= 1)) {
                throw new ModelFormatException(modelType + " partial_rotary_factor / rotary_pct must be in (0, 1], got "
                        + partialRotaryFactor);
            }
            int rotary = (int) (headDim * partialRotaryFactor);
            if (partialRotaryFactor == 1.0 && headDim % 2 != 0) {
                throw new ModelFormatException("rotary embeddings need an even head_dim, got " + headDim);
            }
            if (rotary == 0 || rotary % 2 != 0) {
                throw new ModelFormatException(modelType + " rotary dims int(head_size " + headDim + " * rotary_pct "
                        + partialRotaryFactor + ") = " + rotary + " is not supported (must be even and > 0)");
            }
            if (!(ropeTheta > 0)) {
                throw new ModelFormatException("rope_theta / rotary_emb_base must be > 0, got " + ropeTheta);
            }
        }
        positive("word_embed_proj_dim", wordEmbedProjDim);
        softcap("attn_logit_softcapping", attnLogitSoftcap);
        softcap("final_logit_softcapping", finalLogitSoftcap);
        if (!(queryPreAttnScalar > 0)) {
            throw new ModelFormatException("query_pre_attn_scalar must be > 0, got " + queryPreAttnScalar);
        }
        if (slidingLayers != null) {
            slidingLayers = List.copyOf(slidingLayers);
            if (slidingLayers.size() != numLayers) {
                throw new ModelFormatException("layer_types must list one type per layer (" + numLayers + "), got "
                        + slidingLayers.size());
            }
        }
        if (slidingWindow != null) {
            positive("sliding_window", slidingWindow);
        }
        if (maxWindowLayers < 0) {
            throw new ModelFormatException("max_window_layers must be >= 0, got " + maxWindowLayers);
        }
        if (eosTokenId != null && (eosTokenId < 0 || eosTokenId >= vocabSize)) {
            throw new ModelFormatException("eos_token_id " + eosTokenId + " is outside the vocabulary (" + vocabSize + ")");
        }
    }

    private static void softcap(String key, Double cap) {
        if (cap != null && !(cap > 0 && Double.isFinite(cap))) {
            throw new ModelFormatException(key + " must be > 0 (or null for none), got " + cap);
        }
    }

    private static void fitsAnArray(String what, int... dims) {
        long product = 1;
        for (int d : dims) {
            product *= d; // at most three factors below 2^31: fits a long
            if (product > Integer.MAX_VALUE - 8) {
                throw new ModelFormatException(what + " = " + java.util.Arrays.toString(dims) + " is more elements than one tensor can hold ("
                        + (Integer.MAX_VALUE - 8) + ")");
            }
        }
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new ModelFormatException(key + " must be > 0, got " + value);
        }
    }

    /** Leading dims of each query/key head that RoPE rotates: int(head_dim * partial_rotary_factor), as transformers. */
    public int rotaryDim() {
        return (int) (headDim * partialRotaryFactor);
    }

    /** True when layer {@code layer} attends only to the last {@link #slidingWindow} positions. */
    public boolean slidingWindowAt(int layer) {
        if (slidingLayers != null) {
            return slidingWindow != null && slidingLayers.get(layer);
        }
        return slidingWindow != null && layer >= maxWindowLayers;
    }

    /** True when any layer uses the sliding window. */
    public boolean hasSlidingLayers() {
        if (slidingLayers != null) {
            return slidingWindow != null && slidingLayers.contains(Boolean.TRUE);
        }
        return slidingWindow != null && maxWindowLayers < numLayers;
    }

    /** {@link Part#PROJECT_IN} / {@link Part#PROJECT_OUT} exist (word_embed_proj_dim differs from hidden_size). */
    public boolean projectsEmbeddings() {
        return wordEmbedProjDim != hiddenSize;
    }

    /** Query heads per key/value head. */
    public int groupSize() {
        return numHeads / numKvHeads;
    }

    /** The same architecture with another RoPE scaling (and no remembered source). */
    public ModelConfig withRopeScaling(RopeScaling scaling) {
        return toBuilder().ropeScaling(scaling).sourceJson(null).build();
    }

    /** The same architecture without the remembered source text (for comparing configs). */
    public ModelConfig withoutSource() {
        return toBuilder().sourceJson(null).build();
    }

    /** A Llama-style config built in code (presets, tests). */
    public static ModelConfig llama(int vocabSize, int hiddenSize, int numLayers, int numHeads, int numKvHeads,
                                    int intermediateSize, int maxPositions, boolean tieWordEmbeddings, int eosTokenId) {
        return ModelFamily.LLAMA.builder()
                .vocabSize(vocabSize).hiddenSize(hiddenSize).numLayers(numLayers).numHeads(numHeads)
                .numKvHeads(numKvHeads).headDim(hiddenSize / numHeads).intermediateSize(intermediateSize)
                .maxPositions(maxPositions).normEps(1e-5).tieWordEmbeddings(tieWordEmbeddings)
                .bosTokenId(eosTokenId).eosTokenId(eosTokenId).build();
    }

    /** A GPT-2-style config built in code (presets, tests). */
    public static ModelConfig gpt2(int vocabSize, int hiddenSize, int numLayers, int numHeads, int maxPositions,
                                   int eosTokenId) {
        return ModelFamily.GPT2.builder()
                .vocabSize(vocabSize).hiddenSize(hiddenSize).numLayers(numLayers).numHeads(numHeads)
                .numKvHeads(numHeads).headDim(hiddenSize / numHeads).intermediateSize(4 * hiddenSize)
                .maxPositions(maxPositions).normEps(1e-5).bosTokenId(eosTokenId).eosTokenId(eosTokenId).build();
    }

    /** Reads and validates {@code dir/config.json}; errors name the file. */
    public static ModelConfig read(Path configFile) {
        String text;
        try {
            if (Files.size(configFile) > MAX_CONFIG_BYTES) {
                throw new ModelFormatException(configFile + ": " + Files.size(configFile) + " bytes is too large for a config.json (at most "
                        + MAX_CONFIG_BYTES + ")");
            }
            text = Files.readString(configFile);
        } catch (IOException e) {
            throw new ModelFormatException(configFile + ": cannot read (" + e.getMessage() + ")", e);
        }
        return parse(text, configFile.toString());
    }

    /** Parses config.json text with its family's reader; {@code source} names the file in error messages. */
    public static ModelConfig parse(String json, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(source + ": not valid JSON (" + e.getOriginalMessage() + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(source + ": expected a JSON object");
        }
        try {
            return ModelFamily.of(root.path("model_type").asText(null)).read(root, json);
        } catch (ModelFormatException e) {
            if (e.getMessage().startsWith(source)) {
                throw e;
            }
            throw new ModelFormatException(source + ": " + e.getMessage(), e);
        }
    }

    /**
     * An HF-compatible config.json: the original file's keys are kept and the architecture keys are overwritten
     * with this record's values, so transformers' {@code from_pretrained} builds the same model.
     */
    public String toJson() {
        return toJson(StorageDtype.F32);
    }

    /** {@link #toJson()} declaring the weights' stored dtype ({@code dtype} and {@code torch_dtype}). */
    public String toJson(StorageDtype stored) {
        ObjectNode o;
        try {
            o = sourceJson == null ? JSON.createObjectNode() : (ObjectNode) JSON.readTree(sourceJson);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("sourceJson was validated when read", e);
        }
        o.put("model_type", modelType);
        o.put("vocab_size", vocabSize);
        o.put("tie_word_embeddings", tieWordEmbeddings);
        if (bosTokenId != null) {
            o.put("bos_token_id", bosTokenId);
        }
        if (eosTokenId != null && !o.has("eos_token_id")) {
            o.put("eos_token_id", eosTokenId);
        }
        o.put("dtype", stored.torchName());
        o.put("torch_dtype", stored.torchName());
        ModelFamily.of(modelType).write(this, o);
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A builder holding this config's values. */
    public Builder toBuilder() {
        Builder b = new Builder(modelType);
        b.vocabSize = vocabSize;
        b.hiddenSize = hiddenSize;
        b.numLayers = numLayers;
        b.numHeads = numHeads;
        b.numKvHeads = numKvHeads;
        b.headDim = headDim;
        b.intermediateSize = intermediateSize;
        b.maxPositions = maxPositions;
        b.normKind = normKind;
        b.normEps = normEps;
        b.normBefore = normBefore;
        b.sandwichNorms = sandwichNorms;
        b.qkNorm = qkNorm;
        b.finalNorm = finalNorm;
        b.mlpKind = mlpKind;
        b.hiddenAct = hiddenAct;
        b.qkvLayout = qkvLayout;
        b.conv1dWeights = conv1dWeights;
        b.qkvBias = qkvBias;
        b.outputBias = outputBias;
        b.mlpBias = mlpBias;
        b.parallelResidual = parallelResidual;
        b.positions = positions;
        b.positionOffset = positionOffset;
        b.ropeTheta = ropeTheta;
        b.ropeScaling = ropeScaling;
        b.partialRotaryFactor = partialRotaryFactor;
        b.queryPreAttnScalar = queryPreAttnScalar;
        b.attnLogitSoftcap = attnLogitSoftcap;
        b.slidingWindow = slidingWindow;
        b.maxWindowLayers = maxWindowLayers;
        b.slidingLayers = slidingLayers;
        b.scaleEmbeddings = scaleEmbeddings;
        b.wordEmbedProjDim = wordEmbedProjDim;
        b.tieWordEmbeddings = tieWordEmbeddings;
        b.finalLogitSoftcap = finalLogitSoftcap;
        b.bosTokenId = bosTokenId;
        b.eosTokenId = eosTokenId;
        b.sourceJson = sourceJson;
        return b;
    }

    /** A builder for {@code modelType} with the defaults of a plain Llama graph; families set what differs. */
    public static Builder builder(String modelType) {
        return new Builder(modelType);
    }

    /**
     * Capabilities by name. Defaults: RMSNorm (eps 1e-6), pre-LN, final norm, gated silu MLP, separate q/k/v without
     * biases, unscaled full RoPE with base 10000, query_pre_attn_scalar = head_dim, word_embed_proj_dim = hidden,
     * no softcaps, no window, untied head; the sizes have no defaults.
     */
    public static final class Builder {
        private final String modelType;
        private int vocabSize;
        private int hiddenSize;
        private int numLayers;
        private int numHeads;
        private int numKvHeads;
        private int headDim;
        private int intermediateSize;
        private int maxPositions;
        private NormKind normKind = NormKind.RMS_NORM;
        private double normEps = 1e-6;
        private boolean normBefore = true;
        private boolean sandwichNorms;
        private boolean qkNorm;
        private boolean finalNorm = true;
        private MlpKind mlpKind = MlpKind.GATED;
        private String hiddenAct = "silu";
        private QkvLayout qkvLayout = QkvLayout.SEPARATE;
        private boolean conv1dWeights;
        private boolean qkvBias;
        private boolean outputBias;
        private boolean mlpBias;
        private boolean parallelResidual;
        private Positions positions = Positions.ROTARY;
        private int positionOffset;
        private double ropeTheta = 10000.0;
        private RopeScaling ropeScaling = RopeScaling.NONE;
        private double partialRotaryFactor = 1.0;
        private Double queryPreAttnScalar;
        private Double attnLogitSoftcap;
        private Integer slidingWindow;
        private int maxWindowLayers;
        private List<Boolean> slidingLayers;
        private boolean scaleEmbeddings;
        private Integer wordEmbedProjDim;
        private boolean tieWordEmbeddings;
        private Double finalLogitSoftcap;
        private Integer bosTokenId;
        private Integer eosTokenId;
        private String sourceJson;

        private Builder(String modelType) {
            this.modelType = modelType;
        }

        public Builder vocabSize(int v) { vocabSize = v; return this; }
        public Builder hiddenSize(int v) { hiddenSize = v; return this; }
        public Builder numLayers(int v) { numLayers = v; return this; }
        public Builder numHeads(int v) { numHeads = v; return this; }
        public Builder numKvHeads(int v) { numKvHeads = v; return this; }
        public Builder headDim(int v) { headDim = v; return this; }
        public Builder intermediateSize(int v) { intermediateSize = v; return this; }
        public Builder maxPositions(int v) { maxPositions = v; return this; }
        public Builder normKind(NormKind v) { normKind = v; return this; }
        public Builder normEps(double v) { normEps = v; return this; }
        public Builder normBefore(boolean v) { normBefore = v; return this; }
        public Builder sandwichNorms(boolean v) { sandwichNorms = v; return this; }
        public Builder qkNorm(boolean v) { qkNorm = v; return this; }
        public Builder finalNorm(boolean v) { finalNorm = v; return this; }
        public Builder mlpKind(MlpKind v) { mlpKind = v; return this; }
        public Builder hiddenAct(String v) { hiddenAct = v; return this; }
        public Builder qkvLayout(QkvLayout v) { qkvLayout = v; return this; }
        public Builder conv1dWeights(boolean v) { conv1dWeights = v; return this; }
        public Builder qkvBias(boolean v) { qkvBias = v; return this; }
        public Builder outputBias(boolean v) { outputBias = v; return this; }
        public Builder mlpBias(boolean v) { mlpBias = v; return this; }
        public Builder parallelResidual(boolean v) { parallelResidual = v; return this; }
        public Builder positions(Positions v) { positions = v; return this; }
        public Builder positionOffset(int v) { positionOffset = v; return this; }
        public Builder ropeTheta(double v) { ropeTheta = v; return this; }
        public Builder ropeScaling(RopeScaling v) { ropeScaling = v; return this; }
        public Builder partialRotaryFactor(double v) { partialRotaryFactor = v; return this; }
        public Builder queryPreAttnScalar(double v) { queryPreAttnScalar = v; return this; }
        public Builder attnLogitSoftcap(Double v) { attnLogitSoftcap = v; return this; }
        public Builder slidingWindow(Integer v) { slidingWindow = v; return this; }
        public Builder maxWindowLayers(int v) { maxWindowLayers = v; return this; }
        public Builder slidingLayers(List<Boolean> v) { slidingLayers = v; return this; }
        public Builder scaleEmbeddings(boolean v) { scaleEmbeddings = v; return this; }
        public Builder wordEmbedProjDim(int v) { wordEmbedProjDim = v; return this; }
        public Builder tieWordEmbeddings(boolean v) { tieWordEmbeddings = v; return this; }
        public Builder finalLogitSoftcap(Double v) { finalLogitSoftcap = v; return this; }
        public Builder bosTokenId(Integer v) { bosTokenId = v; return this; }
        public Builder eosTokenId(Integer v) { eosTokenId = v; return this; }
        public Builder sourceJson(String v) { sourceJson = v; return this; }

        /** The validated config ({@link ModelFormatException} naming the unsupported value). */
        public ModelConfig build() {
            return new ModelConfig(modelType, vocabSize, hiddenSize, numLayers, numHeads, numKvHeads, headDim,
                    intermediateSize, maxPositions, normKind, normEps, normBefore, sandwichNorms, qkNorm, finalNorm,
                    mlpKind, hiddenAct, qkvLayout, conv1dWeights, qkvBias, outputBias, mlpBias, parallelResidual,
                    positions, positionOffset, ropeTheta, ropeScaling, partialRotaryFactor,
                    queryPreAttnScalar == null ? headDim : queryPreAttnScalar, attnLogitSoftcap, slidingWindow,
                    maxWindowLayers, slidingLayers, scaleEmbeddings,
                    wordEmbedProjDim == null ? hiddenSize : wordEmbedProjDim, tieWordEmbeddings, finalLogitSoftcap,
                    bosTokenId, eosTokenId, sourceJson);
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s(vocab=%d, hidden=%d, layers=%d, heads=%d/%d, ff=%d, ctx=%d)",
                modelType, vocabSize, hiddenSize, numLayers, numHeads, numKvHeads, intermediateSize, maxPositions);
    }
}
