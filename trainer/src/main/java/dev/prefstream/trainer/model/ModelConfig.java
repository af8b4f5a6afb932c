package dev.prefstream.trainer.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The architecture of a decoder-only model, in Hugging Face {@code config.json} terms. One record covers GPT-2,
 * the Llama family (Llama, Mistral, Qwen2, Qwen3, SmolLM, Phi-3, Gemma), GPT-NeoX (Pythia) and OPT; the family decides
 * which weights exist and how they are used; within the Llama family a few model_type-specific switches
 * ({@link #qkNorm}, {@link #fusedProjections}, {@link #gemmaStyle}) cover the differences. Everything a forward pass depends on is checked here, when config.json is read, so an unsupported
 * architecture fails at load time with the key that makes it unsupported.
 *
 * @param modelType         HF {@code model_type}: gpt2, llama, mistral, qwen2, qwen3, phi3, gemma (v1), gpt_neox or opt
 * @param vocabSize         rows of the embedding and of the output head ({@code vocab_size})
 * @param hiddenSize        width of the residual stream ({@code n_embd} / {@code hidden_size})
 * @param numLayers         transformer blocks ({@code n_layer} / {@code num_hidden_layers})
 * @param numHeads          query heads ({@code n_head} / {@code num_attention_heads})
 * @param numKvHeads        key/value heads, fewer than {@code numHeads} for grouped-query attention
 * @param headDim           width of one head ({@code head_dim}, default hidden / heads; 128 for qwen3, 256 for
 *                          gemma as in HF)
 * @param intermediateSize  MLP width ({@code n_inner}, default 4 x hidden for GPT-2 / {@code intermediate_size} /
 *                          OPT's {@code ffn_dim})
 * @param maxPositions      longest sequence ({@code n_positions} / {@code max_position_embeddings})
 * @param normEps           LayerNorm / RMSNorm epsilon ({@code layer_norm_epsilon} / {@code rms_norm_eps} /
 *                          {@code layer_norm_eps})
 * @param ropeTheta         rotary base ({@code rope_theta}; GPT-NeoX's {@code rotary_emb_base}); unused by GPT-2
 * @param tieWordEmbeddings output head shares the token embedding ({@code tie_word_embeddings})
 * @param qkvBias           q/k/v projections have biases ({@code attention_bias}, always for Qwen2; GPT-NeoX's
 *                          fused query_key_value, default true)
 * @param outputBias        the attention output projection has a bias ({@code attention_bias}, never for Qwen2)
 * @param mlpBias           gate/up/down projections have biases ({@code mlp_bias}; always for GPT-NeoX; OPT's
 *                          fc1/fc2 and every attention projection with {@code enable_bias}, default true)
 * @param hiddenAct         MLP activation: gelu_new (GPT-2), silu (Llama family), gelu_pytorch_tanh (gemma's
 *                          GeGLU; {@code hidden_activation} wins over {@code hidden_act} as in transformers 4.38+),
 *                          for GPT-NeoX gelu (exact erf), gelu_new / gelu_pytorch_tanh, relu or silu; OPT's
 *                          {@code activation_function}: relu (default), gelu or gelu_new
 * @param bosTokenId        beginning-of-sequence id, or null
 * @param eosTokenId        end-of-sequence id (first one when the config lists several), or null
 * @param slidingWindow     keys a windowed layer's query sees, itself included (query i sees keys j with
 *                          i - window < j <= i), or null for full causal attention everywhere: Mistral's
 *                          {@code sliding_window}; Phi-3's (every layer, absent: none); Qwen2/Qwen3's only when
 *                          {@code use_sliding_window} is true
 * @param maxWindowLayers   the first layer that uses the window (Qwen2/Qwen3 {@code max_window_layers}: layers
 *                          {@code >=} it slide, the ones below attend to everything); 0 for Mistral
 * @param ropeScaling       RoPE frequency scaling ({@code rope_scaling} / {@code rope_parameters}); NONE for GPT-2
 * @param partialRotaryFactor share of each head's dims that RoPE rotates (GPT-NeoX {@code rotary_pct} /
 *                          {@code partial_rotary_factor}, default 0.25: the first int(head_dim * factor) dims rotate,
 *                          the rest pass through); 1 for every other family
 * @param parallelResidual  GPT-NeoX {@code use_parallel_residual} (default true): x + attn(ln1(x)) + mlp(ln2(x))
 *                          instead of the sequential h = x + attn(ln1(x)); h + mlp(ln2(h)); false for the others
 * @param wordEmbedProjDim  OPT {@code word_embed_proj_dim}: width of the token embedding and of the head, with
 *                          {@code project_in} / {@code project_out} between it and the hidden size when they differ;
 *                          the hidden size for every other family
 * @param normBefore        OPT {@code do_layer_norm_before} (default true): pre-LN blocks; false (opt-350m) normalises
 *                          after each residual add instead; true for every other family
 * @param finalNorm         the decoder ends with a norm: OPT only when do_layer_norm_before and not
 *                          {@code _remove_final_layer_norm}; true for every other family
 * @param attnLogitSoftcap  Gemma 2 {@code attn_logit_softcapping} (default 50): scores become tanh(s / cap) * cap
 *                          before masking; null for none (every other family)
 * @param finalLogitSoftcap Gemma 2 {@code final_logit_softcapping} (default 30): logits become tanh(l / cap) * cap;
 *                          null for none (every other family)
 * @param queryPreAttnScalar attention scores are scaled by its -0.5 power: Gemma 2 {@code query_pre_attn_scalar}
 *                          (default 256), head_dim for every other family
 * @param slidingLayers     per layer, whether it uses {@link #slidingWindow} (Gemma 2: {@code layer_types}, else the
 *                          even layers); null where {@link #maxWindowLayers} decides (every other family)
 * @param sourceJson        the config.json text this was read from (kept so that saving preserves unknown keys), or null
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
        double normEps,
        double ropeTheta,
        boolean tieWordEmbeddings,
        boolean qkvBias,
        boolean outputBias,
        boolean mlpBias,
        String hiddenAct,
        Integer bosTokenId,
        Integer eosTokenId,
        Integer slidingWindow,
        int maxWindowLayers,
        RopeScaling ropeScaling,
        double partialRotaryFactor,
        boolean parallelResidual,
        int wordEmbedProjDim,
        boolean normBefore,
        boolean finalNorm,
        Double attnLogitSoftcap,
        Double finalLogitSoftcap,
        double queryPreAttnScalar,
        List<Boolean> slidingLayers,
        String sourceJson) {

    /** The four computation graphs this project implements. */
    public enum Family { GPT2, LLAMA, GPT_NEOX, OPT }

    /** model_type values that load. */
    public static final List<String> SUPPORTED_MODEL_TYPES = List.of("gpt2", "llama", "mistral", "qwen2", "qwen3", "phi3",
            "gemma", "gemma2", "gpt_neox", "opt");

    /** GPT-NeoX activations (transformers' ACT2FN names) this decoder implements. */
    private static final List<String> GPT_NEOX_ACTIVATIONS = List.of("gelu", "gelu_new", "gelu_pytorch_tanh", "relu",
            "silu", "swish");

    /** OPT activation_function values (transformers' ACT2FN names) this decoder implements. */
    private static final List<String> OPT_ACTIVATIONS = List.of("relu", "gelu", "gelu_new");

    /** model_type values whose transformers implementation has sliding-window attention. */
    private static final List<String> WINDOWED_MODEL_TYPES = List.of("mistral", "qwen2", "qwen3", "phi3", "gemma2");

    /** transformers' defaults for an absent {@code sliding_window} / {@code max_window_layers}. */
    private static final int HF_DEFAULT_SLIDING_WINDOW = 4096;
    private static final int HF_DEFAULT_MAX_WINDOW_LAYERS = 28;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** Real config.json files are a few KB; anything this large is not one (and would be read into memory whole). */
    private static final long MAX_CONFIG_BYTES = 16L * 1024 * 1024;

    public ModelConfig {
        if (modelType == null || !SUPPORTED_MODEL_TYPES.contains(modelType)) {
            throw new ModelFormatException("unsupported model_type '" + modelType + "' (supported: "
                    + String.join(", ", SUPPORTED_MODEL_TYPES) + ")");
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
        if (!(normEps > 0)) {
            throw new ModelFormatException("norm epsilon must be > 0, got " + normEps);
        }
        if (modelType.equals("gpt2")) {
            if (numKvHeads != numHeads || headDim * numHeads != hiddenSize) {
                throw new ModelFormatException("gpt2 needs n_head * head_dim == n_embd and no grouped-query heads");
            }
            if (!hiddenAct.equals("gelu_new") && !hiddenAct.equals("gelu_pytorch_tanh")) {
                throw new ModelFormatException("gpt2 activation_function '" + hiddenAct
                        + "' is not supported (gelu_new, gelu_pytorch_tanh)");
            }
            if (!tieWordEmbeddings) {
                throw new ModelFormatException("gpt2 with tie_word_embeddings=false is not supported");
            }
        } else if (modelType.equals("opt")) {
            if (numKvHeads != numHeads || headDim * numHeads != hiddenSize) {
                throw new ModelFormatException("opt needs hidden_size to be a multiple of num_attention_heads and no "
                        + "grouped-query heads");
            }
            if (!OPT_ACTIVATIONS.contains(hiddenAct)) {
                throw new ModelFormatException("opt activation_function '" + hiddenAct + "' is not supported ("
                        + String.join(", ", OPT_ACTIVATIONS) + ")");
            }
            if (qkvBias != outputBias || qkvBias != mlpBias) {
                throw new ModelFormatException("opt's enable_bias switches every projection bias together");
            }
            if (!ropeScaling.equals(RopeScaling.NONE)) {
                throw new ModelFormatException("opt has learned positions, not RoPE: rope scaling does not apply");
            }
            if (finalNorm && !normBefore) {
                throw new ModelFormatException("opt has a final layer norm only with do_layer_norm_before");
            }
        } else if (modelType.equals("gpt_neox")) {
            if (numKvHeads != numHeads || headDim * numHeads != hiddenSize) {
                throw new ModelFormatException("gpt_neox needs num_attention_heads * head_size == hidden_size and no "
                        + "grouped-query heads");
            }
            if (!GPT_NEOX_ACTIVATIONS.contains(hiddenAct)) {
                throw new ModelFormatException("gpt_neox hidden_act '" + hiddenAct + "' is not supported ("
                        + String.join(", ", GPT_NEOX_ACTIVATIONS) + ")");
            }
            if (!mlpBias || qkvBias != outputBias) {
                throw new ModelFormatException("gpt_neox has MLP biases, and attention_bias switches the "
                        + "query_key_value and dense biases together");
            }
            if (!(partialRotaryFactor > 0 && partialRotaryFactor <= 1)) {
                throw new ModelFormatException("gpt_neox rotary_pct must be in (0, 1], got " + partialRotaryFactor);
            }
            int rotary = (int) (headDim * partialRotaryFactor);
            if (rotary == 0 || rotary % 2 != 0) {
                throw new ModelFormatException("gpt_neox rotary dims int(head_size " + headDim + " * rotary_pct "
                        + partialRotaryFactor + ") = " + rotary + " is not supported (must be even and > 0)");
            }
            if (!(ropeTheta > 0)) {
                throw new ModelFormatException("rotary_emb_base must be > 0, got " + ropeTheta);
            }
        } else {
            if (modelType.equals("gemma") || modelType.equals("gemma2")) {
                if (!hiddenAct.equals("gelu_pytorch_tanh") && !hiddenAct.equals("gelu_new")) {
                    throw new ModelFormatException(modelType + " hidden_activation '" + hiddenAct + "' is not "
                            + "supported (gelu_pytorch_tanh; exact-erf gelu is not implemented)");
                }
            } else if (!hiddenAct.equals("silu") && !hiddenAct.equals("swish")) {
                throw new ModelFormatException(modelType + " hidden_act '" + hiddenAct + "' is not supported (silu)");
            }
            if ((modelType.equals("phi3") || modelType.startsWith("gemma")) && mlpBias) {
                throw new ModelFormatException(modelType + " has no MLP biases");
            }
            if (modelType.equals("phi3") && (qkvBias || outputBias)) {
                throw new ModelFormatException("phi3 has no attention biases");
            }
            if (headDim % 2 != 0) {
                throw new ModelFormatException("rotary embeddings need an even head_dim, got " + headDim);
            }
            if (!(ropeTheta > 0)) {
                throw new ModelFormatException("rope_theta must be > 0, got " + ropeTheta);
            }
        }
        if (ropeScaling == null) {
            throw new ModelFormatException("ropeScaling must not be null (RopeScaling.NONE for unscaled RoPE)");
        }
        if (!modelType.equals("gpt_neox") && (partialRotaryFactor != 1.0 || parallelResidual)) {
            throw new ModelFormatException(modelType + " has neither partial rotary embeddings nor parallel residuals "
                    + "(only gpt_neox)");
        }
        if (!modelType.equals("opt") && (wordEmbedProjDim != hiddenSize || !normBefore || !finalNorm)) {
            throw new ModelFormatException(modelType + " has neither a word_embed_proj_dim other than hidden_size nor "
                    + "post-LN blocks nor a missing final norm (only opt)");
        }
        positive("word_embed_proj_dim", wordEmbedProjDim);
        if (!modelType.equals("gemma2") && (attnLogitSoftcap != null || finalLogitSoftcap != null
                || queryPreAttnScalar != headDim || slidingLayers != null)) {
            throw new ModelFormatException(modelType + " has no logit softcapping, query_pre_attn_scalar or per-layer "
                    + "attention types (only gemma2)");
        }
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
        if (modelType.equals("gpt2") && !ropeScaling.equals(RopeScaling.NONE)) {
            throw new ModelFormatException("gpt2 has learned positions, not RoPE: rope scaling does not apply");
        }
        if (slidingWindow != null) {
            if (!WINDOWED_MODEL_TYPES.contains(modelType)) {
                throw new ModelFormatException(modelType + " has no sliding-window attention (only "
                        + String.join(", ", WINDOWED_MODEL_TYPES) + ")");
            }
            positive("sliding_window", slidingWindow);
        }
        if (maxWindowLayers < 0) {
            throw new ModelFormatException("max_window_layers must be >= 0, got " + maxWindowLayers);
        }
        if (eosTokenId != null && (eosTokenId < 0 || eosTokenId >= vocabSize)) {
            throw new ModelFormatException("eos_token_id " + eosTokenId + " is outside the vocabulary (" + vocabSize + ")");
        }
    }

    /**
     * The constructor for the families without OPT's projections / post-LN or Gemma 2's softcaps and per-layer
     * attention types.
     */
    public ModelConfig(String modelType, int vocabSize, int hiddenSize, int numLayers, int numHeads, int numKvHeads,
                       int headDim, int intermediateSize, int maxPositions, double normEps, double ropeTheta,
                       boolean tieWordEmbeddings, boolean qkvBias, boolean outputBias, boolean mlpBias,
                       String hiddenAct, Integer bosTokenId, Integer eosTokenId, Integer slidingWindow,
                       int maxWindowLayers, RopeScaling ropeScaling, double partialRotaryFactor,
                       boolean parallelResidual, String sourceJson) {
        this(modelType, vocabSize, hiddenSize, numLayers, numHeads, numKvHeads, headDim, intermediateSize,
                maxPositions, normEps, ropeTheta, tieWordEmbeddings, qkvBias, outputBias, mlpBias, hiddenAct,
                bosTokenId, eosTokenId, slidingWindow, maxWindowLayers, ropeScaling, partialRotaryFactor,
                parallelResidual, hiddenSize, true, true, null, null, headDim, null, sourceJson);
    }

    /** The constructor for the families without partial rotary or parallel residuals (all but gpt_neox). */
    public ModelConfig(String modelType, int vocabSize, int hiddenSize, int numLayers, int numHeads, int numKvHeads,
                       int headDim, int intermediateSize, int maxPositions, double normEps, double ropeTheta,
                       boolean tieWordEmbeddings, boolean qkvBias, boolean outputBias, boolean mlpBias,
                       String hiddenAct, Integer bosTokenId, Integer eosTokenId, Integer slidingWindow,
                       int maxWindowLayers, RopeScaling ropeScaling, String sourceJson) {
        this(modelType, vocabSize, hiddenSize, numLayers, numHeads, numKvHeads, headDim, intermediateSize,
                maxPositions, normEps, ropeTheta, tieWordEmbeddings, qkvBias, outputBias, mlpBias, hiddenAct,
                bosTokenId, eosTokenId, slidingWindow, maxWindowLayers, ropeScaling, 1.0, false, sourceJson);
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

    /** Which graph to build. */
    public Family family() {
        return switch (modelType) {
            case "gpt2" -> Family.GPT2;
            case "gpt_neox" -> Family.GPT_NEOX;
            case "opt" -> Family.OPT;
            default -> Family.LLAMA;
        };
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

    /** OPT's {@code project_in} / {@code project_out} exist (word_embed_proj_dim differs from hidden_size). */
    public boolean projectsEmbeddings() {
        return wordEmbedProjDim != hiddenSize;
    }

    /**
     * Gemma 2's sandwich norms: the attention and MLP outputs are normalised (post_attention_layernorm,
     * post_feedforward_layernorm) before their residual add, and the MLP input by pre_feedforward_layernorm.
     */
    public boolean sandwichNorms() {
        return modelType.equals("gemma2");
    }

    /** Qwen3's per-head RMSNorm of queries and keys ({@code self_attn.q_norm} / {@code k_norm}) before RoPE. */
    public boolean qkNorm() {
        return modelType.equals("qwen3");
    }

    /**
     * Phi-3's fused checkpoint tensors ({@code qkv_proj}, {@code gate_up_proj}); the model itself keeps them split
     * under Llama names, see {@link FusedProjections}.
     */
    public boolean fusedProjections() {
        return modelType.equals("phi3");
    }

    /**
     * Gemma's differences from Llama: RMSNorm scales by (1 + weight) in float32 before casting back, embeddings are
     * multiplied by sqrt(hidden_size) rounded to the weights' type, and the MLP is GeGLU (tanh gelu of the gate).
     */
    public boolean gemmaStyle() {
        return modelType.equals("gemma") || modelType.equals("gemma2");
    }

    /** The same architecture with another sliding window (null: none) from layer {@code fromLayer} on. */
    public ModelConfig withSlidingWindow(Integer window, int fromLayer) {
        return new ModelConfig(modelType, vocabSize, hiddenSize, numLayers, numHeads, numKvHeads, headDim,
                intermediateSize, maxPositions, normEps, ropeTheta, tieWordEmbeddings, qkvBias, outputBias, mlpBias,
                hiddenAct, bosTokenId, eosTokenId, window, fromLayer, ropeScaling, partialRotaryFactor,
                parallelResidual, wordEmbedProjDim, normBefore, finalNorm, attnLogitSoftcap, finalLogitSoftcap,
                queryPreAttnScalar, slidingLayers, null);
    }

    /** The same architecture with another RoPE scaling. */
    public ModelConfig withRopeScaling(RopeScaling scaling) {
        return new ModelConfig(modelType, vocabSize, hiddenSize, numLayers, numHeads, numKvHeads, headDim,
                intermediateSize, maxPositions, normEps, ropeTheta, tieWordEmbeddings, qkvBias, outputBias, mlpBias,
                hiddenAct, bosTokenId, eosTokenId, slidingWindow, maxWindowLayers, scaling, partialRotaryFactor,
                parallelResidual, wordEmbedProjDim, normBefore, finalNorm, attnLogitSoftcap, finalLogitSoftcap,
                queryPreAttnScalar, slidingLayers, null);
    }

    /** Query heads per key/value head. */
    public int groupSize() {
        return numHeads / numKvHeads;
    }

    /** The same architecture without the remembered source text (for comparing configs). */
    public ModelConfig withoutSource() {
        return new ModelConfig(modelType, vocabSize, hiddenSize, numLayers, numHeads, numKvHeads, headDim,
                intermediateSize, maxPositions, normEps, ropeTheta, tieWordEmbeddings, qkvBias, outputBias, mlpBias,
                hiddenAct, bosTokenId, eosTokenId, slidingWindow, maxWindowLayers, ropeScaling,
                partialRotaryFactor, parallelResidual, wordEmbedProjDim, normBefore, finalNorm, attnLogitSoftcap,
                finalLogitSoftcap, queryPreAttnScalar, slidingLayers, null);
    }

    /** A Llama-style config built in code (presets, tests). */
    public static ModelConfig llama(int vocabSize, int hiddenSize, int numLayers, int numHeads, int numKvHeads,
                                    int intermediateSize, int maxPositions, boolean tieWordEmbeddings, int eosTokenId) {
        return new ModelConfig("llama", vocabSize, hiddenSize, numLayers, numHeads, numKvHeads, hiddenSize / numHeads,
                intermediateSize, maxPositions, 1e-5, 10000.0, tieWordEmbeddings, false, false, false, "silu",
                eosTokenId, eosTokenId, null, 0, RopeScaling.NONE, null);
    }

    /** A GPT-2-style config built in code (presets, tests). */
    public static ModelConfig gpt2(int vocabSize, int hiddenSize, int numLayers, int numHeads, int maxPositions,
                                   int eosTokenId) {
        return new ModelConfig("gpt2", vocabSize, hiddenSize, numLayers, numHeads, numHeads, hiddenSize / numHeads,
                4 * hiddenSize, maxPositions, 1e-5, 10000.0, true, true, true, true, "gelu_new",
                eosTokenId, eosTokenId, null, 0, RopeScaling.NONE, null);
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

    /** Parses config.json text; {@code source} names the file in error messages. */
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
            return fromNode(root, json, source);
        } catch (ModelFormatException e) {
            if (e.getMessage().startsWith(source)) {
                throw e;
            }
            throw new ModelFormatException(source + ": " + e.getMessage(), e);
        }
    }

    private static ModelConfig fromNode(JsonNode n, String json, String source) {
        String modelType = n.path("model_type").asText(null);
        if (modelType != null && modelType.startsWith("gemma") && !modelType.equals("gemma")
                && !modelType.equals("gemma2")) {
            throw new ModelFormatException(source + ": unsupported model_type '" + modelType + "': only Gemma v1 "
                    + "(gemma) and Gemma 2 (gemma2) are implemented; Gemma 3 needs per-head q/k norms and separate "
                    + "RoPE bases for local and global layers, which this decoder does not have");
        }
        if (modelType == null || !SUPPORTED_MODEL_TYPES.contains(modelType)) {
            throw new ModelFormatException(source + ": unsupported model_type '" + modelType + "' (supported: "
                    + String.join(", ", SUPPORTED_MODEL_TYPES) + ")");
        }
        Integer bos = firstId(n.get("bos_token_id"));
        Integer eos = firstId(n.get("eos_token_id"));
        int vocab = requiredInt(n, "vocab_size");
        if (modelType.equals("gpt2")) {
            int hidden = requiredInt(n, "n_embd", "hidden_size");
            int heads = requiredInt(n, "n_head", "num_attention_heads");
            int layers = requiredInt(n, "n_layer", "num_hidden_layers");
            Integer inner = optionalInt(n, "n_inner");
            if (n.path("scale_attn_by_inverse_layer_idx").asBoolean(false) || !n.path("scale_attn_weights").asBoolean(true)) {
                throw new ModelFormatException("gpt2 attention scaling other than 1/sqrt(head_dim) is not supported");
            }
            if (hidden % heads != 0) {
                throw new ModelFormatException("n_embd (" + hidden + ") is not a multiple of n_head (" + heads + ")");
            }
            return new ModelConfig(modelType, vocab, hidden, layers, heads, heads, hidden / heads,
                    inner == null ? 4 * hidden : inner,
                    requiredInt(n, "n_positions", "max_position_embeddings"),
                    n.path("layer_norm_epsilon").asDouble(1e-5), 10000.0,
                    n.path("tie_word_embeddings").asBoolean(true), true, true, true,
                    n.path("activation_function").asText("gelu_new"), bos, eos, null, 0, RopeScaling.NONE, json);
        }
        int hidden = requiredInt(n, "hidden_size");
        int heads = requiredInt(n, "num_attention_heads");
        int layers = requiredInt(n, "num_hidden_layers");
        int maxPositions = requiredInt(n, "max_position_embeddings");
        if (modelType.equals("gpt_neox")) {
            return gptNeox(n, json, vocab, hidden, heads, layers, maxPositions);
        }
        if (modelType.equals("opt")) {
            return opt(n, json, vocab, hidden, heads, layers, maxPositions);
        }
        if (modelType.equals("gemma2")) {
            return gemma2(n, json, vocab, hidden, heads, layers, maxPositions);
        }
        Integer kv = optionalInt(n, "num_key_value_heads");
        boolean qwen2 = modelType.equals("qwen2");
        Integer headDim = optionalInt(n, "head_dim");
        if (headDim == null && modelType.equals("qwen3")) {
            headDim = 128;                      // Qwen3Config's default, not hidden / heads
        }
        if (headDim == null && modelType.equals("gemma")) {
            headDim = 256;                      // GemmaConfig's default, not hidden / heads
        }
        boolean phi3 = modelType.equals("phi3");
        boolean gemma = modelType.equals("gemma");
        if (headDim == null && hidden % heads != 0) {
            throw new ModelFormatException("hidden_size (" + hidden + ") is not a multiple of num_attention_heads (" + heads + ")");
        }
        // Phi3ForCausalLM has no biases whatever the config says; Gemma has attention_bias only
        boolean attentionBias = !phi3 && n.path("attention_bias").asBoolean(false);
        int[] window = slidingWindow(n, modelType, layers);
        return new ModelConfig(modelType, vocab, hidden, layers, heads,
                kv == null ? heads : kv, headDim == null ? hidden / heads : headDim,
                requiredInt(n, "intermediate_size"), maxPositions,
                n.path("rms_norm_eps").asDouble(phi3 ? 1e-5 : 1e-6), RopeScaling.theta(n),
                n.path("tie_word_embeddings").asBoolean(gemma),
                qwen2 || attentionBias, !qwen2 && attentionBias,
                !phi3 && !gemma && n.path("mlp_bias").asBoolean(false),
                gemma ? gemmaActivation(n) : n.path("hidden_act").asText("silu"), bos, eos,
                window == null ? null : window[0], window == null ? 0 : window[1],
                RopeScaling.parse(n, maxPositions), json);
    }

    /**
     * GPTNeoXConfig: head size hidden / heads (no GQA: num_key_value_heads and head_dim are not read, as in
     * transformers), LayerNorm {@code layer_norm_eps} (1e-5), {@code attention_bias} (true) on query_key_value and
     * dense, MLP biases always, {@code hidden_act} (gelu), untied head unless {@code tie_word_embeddings},
     * {@code use_parallel_residual} (true), bos/eos 0/2 when absent. Rotary share: {@code rotary_pct}, else a
     * {@code partial_rotary_factor} (rope_parameters or top level), else 0.25. Rotary base: a {@code rope_theta}
     * (rope_parameters, rope_scaling or top level, as newer transformers write it), else {@code rotary_emb_base},
     * else 10000; both are written with the same value on save. {@code rope_scaling} as for Llama.
     */
    private static ModelConfig gptNeox(JsonNode n, String json, int vocab, int hidden, int heads, int layers,
                                       int maxPositions) {
        if (hidden % heads != 0) {
            throw new ModelFormatException("hidden_size (" + hidden + ") is not a multiple of num_attention_heads ("
                    + heads + ")");
        }
        JsonNode rotaryPct = n.get("rotary_pct");
        double partial;
        if (rotaryPct != null && !rotaryPct.isNull()) {
            partial = rotaryPct.asDouble();
        } else if (n.path("rope_parameters").hasNonNull("partial_rotary_factor")) {
            partial = n.path("rope_parameters").get("partial_rotary_factor").asDouble();
        } else {
            partial = n.path("partial_rotary_factor").asDouble(0.25);
        }
        boolean thetaGiven = n.hasNonNull("rope_theta") || n.path("rope_parameters").hasNonNull("rope_theta")
                || n.path("rope_scaling").hasNonNull("rope_theta");
        double base = thetaGiven ? RopeScaling.theta(n) : n.path("rotary_emb_base").asDouble(10000.0);
        boolean attentionBias = n.path("attention_bias").asBoolean(true);
        Integer bos = n.has("bos_token_id") ? firstId(n.get("bos_token_id")) : Integer.valueOf(0);
        Integer eos = n.has("eos_token_id") ? firstId(n.get("eos_token_id")) : Integer.valueOf(2);
        return new ModelConfig("gpt_neox", vocab, hidden, layers, heads, heads, hidden / heads,
                requiredInt(n, "intermediate_size"), maxPositions, n.path("layer_norm_eps").asDouble(1e-5), base,
                n.path("tie_word_embeddings").asBoolean(false), attentionBias, attentionBias, true,
                n.path("hidden_act").asText("gelu"), bos, eos, null, 0,
                RopeScaling.parse(n, maxPositions, true), partial,
                n.path("use_parallel_residual").asBoolean(true), json);
    }

    /**
     * OPTConfig: {@code ffn_dim}, head size hidden / heads, LayerNorm eps 1e-5 (nn.LayerNorm's default; OPT has no
     * eps key), {@code enable_bias} (true) on every projection, {@code activation_function} (relu),
     * {@code do_layer_norm_before} (true), a final layer norm iff do_layer_norm_before and not
     * {@code _remove_final_layer_norm}, {@code word_embed_proj_dim} (hidden_size), tied head unless
     * {@code tie_word_embeddings} is false, bos/eos 2/2 when absent. {@code layer_norm_elementwise_affine} false
     * (norms without weights) is refused.
     */
    private static ModelConfig opt(JsonNode n, String json, int vocab, int hidden, int heads, int layers,
                                   int maxPositions) {
        if (hidden % heads != 0) {
            throw new ModelFormatException("hidden_size (" + hidden + ") is not a multiple of num_attention_heads ("
                    + heads + ")");
        }
        if (!n.path("layer_norm_elementwise_affine").asBoolean(true)) {
            throw new ModelFormatException("opt layer_norm_elementwise_affine=false (layer norms without weight and "
                    + "bias) is not supported");
        }
        boolean before = n.path("do_layer_norm_before").asBoolean(true);
        boolean bias = n.path("enable_bias").asBoolean(true);
        Integer proj = optionalInt(n, "word_embed_proj_dim");
        Integer bos = n.has("bos_token_id") ? firstId(n.get("bos_token_id")) : Integer.valueOf(2);
        Integer eos = n.has("eos_token_id") ? firstId(n.get("eos_token_id")) : Integer.valueOf(2);
        return new ModelConfig("opt", vocab, hidden, layers, heads, heads, hidden / heads,
                requiredInt(n, "ffn_dim"), maxPositions, 1e-5, 10000.0,
                n.path("tie_word_embeddings").asBoolean(true), bias, bias, bias,
                n.path("activation_function").asText("relu"), bos, eos, null, 0, RopeScaling.NONE, 1.0, false,
                proj == null ? hidden : proj, before,
                before && !n.path("_remove_final_layer_norm").asBoolean(false), null, null, hidden / heads, null,
                json);
    }

    /**
     * Gemma2Config: Gemma's (1 + w) norms, scaled embeddings, GeGLU ({@link #gemmaActivation}) and tied head,
     * head_dim 256 and num_key_value_heads 4 when absent, {@code query_pre_attn_scalar} (256),
     * {@code attn_logit_softcapping} (50) and {@code final_logit_softcapping} (30), null turning either off,
     * {@code sliding_window} (4096; null: none) on the layers {@code layer_types} marks sliding_attention, else on
     * the even layers.
     */
    private static ModelConfig gemma2(JsonNode n, String json, int vocab, int hidden, int heads, int layers,
                                      int maxPositions) {
        Integer kv = optionalInt(n, "num_key_value_heads");
        Integer headDim = optionalInt(n, "head_dim");
        int hd = headDim == null ? 256 : headDim;
        Integer window = n.has("sliding_window") ? optionalInt(n, "sliding_window")
                : Integer.valueOf(HF_DEFAULT_SLIDING_WINDOW);
        List<Boolean> sliding = new java.util.ArrayList<>();
        JsonNode types = n.get("layer_types");
        if (types != null && !types.isNull()) {
            if (!types.isArray() || types.size() != layers) {
                throw new ModelFormatException("layer_types must list one type per layer (" + layers + "), got "
                        + types);
            }
            for (int i = 0; i < layers; i++) {
                String type = types.get(i).asText();
                if (!type.equals("full_attention") && !type.equals("sliding_attention")) {
                    throw new ModelFormatException("layer_types[" + i + "] '" + type + "' is not supported "
                            + "(full_attention, sliding_attention)");
                }
                sliding.add(type.equals("sliding_attention"));
            }
        } else {
            for (int i = 0; i < layers; i++) {
                sliding.add(i % 2 == 0);
            }
        }
        return new ModelConfig("gemma2", vocab, hidden, layers, heads, kv == null ? 4 : kv, hd,
                requiredInt(n, "intermediate_size"), maxPositions, n.path("rms_norm_eps").asDouble(1e-6),
                RopeScaling.theta(n), n.path("tie_word_embeddings").asBoolean(true),
                n.path("attention_bias").asBoolean(false), n.path("attention_bias").asBoolean(false), false,
                gemmaActivation(n), firstId(n.get("bos_token_id")), firstId(n.get("eos_token_id")), window, 0,
                RopeScaling.parse(n, maxPositions), 1.0, false, hidden, true, true,
                softcapOf(n, "attn_logit_softcapping", 50.0), softcapOf(n, "final_logit_softcapping", 30.0),
                n.path("query_pre_attn_scalar").asDouble(256), sliding, json);
    }

    /** A softcap key: absent means transformers' default, null means none. */
    private static Double softcapOf(JsonNode n, String key, double hfDefault) {
        JsonNode v = n.get(key);
        if (v == null) {
            return hfDefault;
        }
        if (v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            throw new ModelFormatException("key " + key + " must be a number or null, got " + v);
        }
        return v.asDouble();
    }

    /**
     * Gemma's MLP activation: {@code hidden_activation} when set (transformers 4.38-4.4x read only it, defaulting to
     * gelu_pytorch_tanh; Google's configs set it), else {@code hidden_act} (GemmaConfig default gelu_pytorch_tanh).
     */
    private static String gemmaActivation(JsonNode n) {
        JsonNode act = n.get("hidden_activation");
        if (act != null && !act.isNull()) {
            return act.asText();
        }
        return n.path("hidden_act").asText("gelu_pytorch_tanh");
    }

    /**
     * {window, first windowed layer} as transformers builds them, or null for full attention. Mistral: every layer,
     * {@code sliding_window} (absent: 4096, null: none). Qwen2/Qwen3: only with {@code use_sliding_window}, layers
     * {@code >= max_window_layers} (default 28), or as an explicit {@code layer_types} list says, which must then be
     * full layers followed by sliding ones. Llama has no window: its {@code sliding_window}, if any, is ignored.
     */
    private static int[] slidingWindow(JsonNode n, String modelType, int layers) {
        if (!WINDOWED_MODEL_TYPES.contains(modelType)) {
            return null;
        }
        if (modelType.equals("phi3")) {
            // Phi3Config: sliding_window defaults to None; when set, every layer uses it (Mistral's mask)
            Integer phiWindow = optionalInt(n, "sliding_window");
            return phiWindow == null ? null : new int[] {phiWindow, 0};
        }
        Integer window = n.has("sliding_window") ? optionalInt(n, "sliding_window")
                : Integer.valueOf(HF_DEFAULT_SLIDING_WINDOW);
        if (modelType.equals("mistral")) {
            return window == null ? null : new int[] {window, 0};
        }
        if (!n.path("use_sliding_window").asBoolean(false) || window == null) {
            return null;
        }
        Integer fromLayer = optionalInt(n, "max_window_layers");
        int first = fromLayer == null ? HF_DEFAULT_MAX_WINDOW_LAYERS : fromLayer;
        JsonNode types = n.get("layer_types");
        if (types != null && !types.isNull()) {
            first = firstSlidingLayer(types, layers);
        }
        return new int[] {window, first};
    }

    /** The index where an explicit layer_types list switches from full to sliding attention (layers if never). */
    private static int firstSlidingLayer(JsonNode types, int layers) {
        if (!types.isArray() || types.size() != layers) {
            throw new ModelFormatException("layer_types must list one type per layer (" + layers + "), got " + types);
        }
        int first = layers;
        for (int i = 0; i < layers; i++) {
            String type = types.get(i).asText();
            if (!type.equals("full_attention") && !type.equals("sliding_attention")) {
                throw new ModelFormatException("layer_types[" + i + "] '" + type + "' is not supported "
                        + "(full_attention, sliding_attention)");
            }
            boolean sliding = type.equals("sliding_attention");
            if (sliding && first == layers) {
                first = i;
            } else if (!sliding && first < layers) {
                throw new ModelFormatException("layer_types with a full_attention layer (" + i + ") after a "
                        + "sliding_attention layer (" + first + ") is not supported");
            }
        }
        return first;
    }

    private static int requiredInt(JsonNode n, String... keys) {
        Integer v = optionalInt(n, keys);
        if (v == null) {
            throw new ModelFormatException("missing required key " + String.join(" / ", keys));
        }
        return v;
    }

    private static Integer optionalInt(JsonNode n, String... keys) {
        for (String k : keys) {
            JsonNode v = n.get(k);
            if (v != null && !v.isNull()) {
                if (!v.canConvertToInt()) {
                    throw new ModelFormatException("key " + k + " must be an integer, got " + v);
                }
                return v.asInt();
            }
        }
        return null;
    }

    private static Integer firstId(JsonNode v) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isArray()) {
            return v.isEmpty() ? null : v.get(0).asInt();
        }
        return v.asInt();
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
        if (family() == Family.GPT2) {
            o.putArray("architectures").add("GPT2LMHeadModel");
            o.put("n_embd", hiddenSize);
            o.put("n_layer", numLayers);
            o.put("n_head", numHeads);
            if (intermediateSize == 4 * hiddenSize) {
                o.putNull("n_inner");
            } else {
                o.put("n_inner", intermediateSize);
            }
            o.put("n_positions", maxPositions);
            o.put("layer_norm_epsilon", normEps);
            o.put("activation_function", hiddenAct);
            if (sourceJson == null) {
                // our model has no dropout; HF's GPT-2 defaults are 0.1
                o.put("attn_pdrop", 0.0);
                o.put("embd_pdrop", 0.0);
                o.put("resid_pdrop", 0.0);
                o.put("initializer_range", 0.02);
            }
        } else if (family() == Family.GPT_NEOX) {
            writeGptNeox(o);
        } else if (family() == Family.OPT) {
            writeOpt(o);
        } else {
            String arch = switch (modelType) {
                case "mistral" -> "MistralForCausalLM";
                case "qwen2" -> "Qwen2ForCausalLM";
                case "qwen3" -> "Qwen3ForCausalLM";
                case "phi3" -> "Phi3ForCausalLM";
                case "gemma" -> "GemmaForCausalLM";
                case "gemma2" -> "Gemma2ForCausalLM";
                default -> "LlamaForCausalLM";
            };
            o.putArray("architectures").add(arch);
            o.put("hidden_size", hiddenSize);
            o.put("num_hidden_layers", numLayers);
            o.put("num_attention_heads", numHeads);
            o.put("num_key_value_heads", numKvHeads);
            o.put("head_dim", headDim);
            o.put("intermediate_size", intermediateSize);
            o.put("max_position_embeddings", maxPositions);
            o.put("rms_norm_eps", normEps);
            writeRope(o).remove("partial_rotary_factor");
            writeSlidingWindow(o);
            o.put("hidden_act", hiddenAct);
            if (gemmaStyle()) {
                o.put("hidden_activation", hiddenAct);     // what transformers 4.38-4.4x (gemma), all (gemma2) read
            }
            if (modelType.equals("gemma2")) {
                putNullable(o, "attn_logit_softcapping", attnLogitSoftcap);
                putNullable(o, "final_logit_softcapping", finalLogitSoftcap);
                o.put("query_pre_attn_scalar", queryPreAttnScalar);
            }
            if (!modelType.equals("qwen2")) {
                o.put("attention_bias", qkvBias);
            }
            o.put("mlp_bias", mlpBias);
            if (sourceJson == null) {
                o.put("attention_dropout", 0.0);
                o.put("initializer_range", 0.02);
            }
        }
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * rope_theta at the top (transformers 4) and in rope_parameters (5), and rope_scaling when the RoPE is scaled:
     * transformers 4 reads only rope_scaling and 5 gives it priority, so both say the same. Returns {@code o}.
     */
    private ObjectNode writeRope(ObjectNode o) {
        o.put("rope_theta", ropeTheta);
        ObjectNode rope = o.putObject("rope_parameters");
        ropeScaling.writeTo(rope);
        rope.put("rope_theta", ropeTheta);
        if (ropeScaling.equals(RopeScaling.NONE)) {
            if (o.has("rope_scaling")) {
                o.putNull("rope_scaling");
            }
        } else {
            ropeScaling.writeTo(o.putObject("rope_scaling"));
        }
        return o;
    }

    /**
     * GPTNeoXConfig's keys: rotary_pct / rotary_emb_base (transformers 4) and the same values as
     * partial_rotary_factor / rope_theta / rope_parameters (newer releases), so every version builds this model.
     */
    private void writeGptNeox(ObjectNode o) {
        o.putArray("architectures").add("GPTNeoXForCausalLM");
        o.put("hidden_size", hiddenSize);
        o.put("num_hidden_layers", numLayers);
        o.put("num_attention_heads", numHeads);
        o.put("intermediate_size", intermediateSize);
        o.put("max_position_embeddings", maxPositions);
        o.put("layer_norm_eps", normEps);
        o.put("rotary_pct", partialRotaryFactor);
        o.put("partial_rotary_factor", partialRotaryFactor);
        o.put("rotary_emb_base", ropeTheta);
        ((ObjectNode) writeRope(o).get("rope_parameters")).put("partial_rotary_factor", partialRotaryFactor);
        o.put("use_parallel_residual", parallelResidual);
        o.put("hidden_act", hiddenAct);
        o.put("attention_bias", qkvBias);
        o.remove("num_key_value_heads");
        o.remove("head_dim");
        if (sourceJson == null) {
            o.put("attention_dropout", 0.0);
            o.put("hidden_dropout", 0.0);
            o.put("initializer_range", 0.02);
        }
    }

    /**
     * OPTConfig's keys. pad_token_id (OPT's default 1) is written only when the source had none; OPT has no eps key
     * (nn.LayerNorm's 1e-5 is fixed).
     */
    private void writeOpt(ObjectNode o) {
        o.putArray("architectures").add("OPTForCausalLM");
        o.put("hidden_size", hiddenSize);
        o.put("ffn_dim", intermediateSize);
        o.put("num_attention_heads", numHeads);
        o.put("num_hidden_layers", numLayers);
        o.put("max_position_embeddings", maxPositions);
        o.put("word_embed_proj_dim", wordEmbedProjDim);
        o.put("do_layer_norm_before", normBefore);
        o.put("_remove_final_layer_norm", normBefore && !finalNorm);
        o.put("activation_function", hiddenAct);
        o.put("enable_bias", qkvBias);
        o.put("layer_norm_elementwise_affine", true);
        if (!o.has("pad_token_id")) {
            o.put("pad_token_id", 1);
        }
        if (sourceJson == null) {
            o.put("dropout", 0.0);
            o.put("attention_dropout", 0.0);
            o.put("layerdrop", 0.0);
            o.put("init_std", 0.02);
        }
    }

    /** {@code key: value}, or {@code key: null} for none. */
    private static void putNullable(ObjectNode o, String key, Double value) {
        if (value == null) {
            o.putNull(key);
        } else {
            o.put(key, value);
        }
    }

    /** Mistral's sliding_window, or Qwen's use_sliding_window / sliding_window / max_window_layers (/ layer_types). */
    private void writeSlidingWindow(ObjectNode o) {
        if (modelType.equals("mistral") || modelType.equals("phi3")) {
            if (slidingWindow == null) {
                o.putNull("sliding_window");
            } else {
                o.put("sliding_window", slidingWindow);
            }
        } else if (modelType.equals("gemma2")) {
            if (slidingWindow == null) {
                o.putNull("sliding_window");
            } else {
                o.put("sliding_window", slidingWindow);
            }
            // transformers before layer_types reads only the even/odd rule: an explicit list says the same or more
            ArrayNode types = o.putArray("layer_types");
            for (int i = 0; i < numLayers; i++) {
                types.add(slidingLayers.get(i) ? "sliding_attention" : "full_attention");
            }
        } else if (modelType.equals("qwen2") || modelType.equals("qwen3")) {
            o.put("use_sliding_window", slidingWindow != null);
            if (slidingWindow != null) {
                o.put("sliding_window", slidingWindow);
            } else if (!o.has("sliding_window")) {
                o.putNull("sliding_window");
            }
            o.put("max_window_layers", maxWindowLayers);
            if (o.has("layer_types")) {
                // transformers prefers an explicit list to max_window_layers: keep it in step
                ArrayNode types = o.putArray("layer_types");
                for (int i = 0; i < numLayers; i++) {
                    types.add(slidingWindowAt(i) ? "sliding_attention" : "full_attention");
                }
            }
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s(vocab=%d, hidden=%d, layers=%d, heads=%d/%d, ff=%d, ctx=%d)",
                modelType, vocabSize, hiddenSize, numLayers, numHeads, numKvHeads, intermediateSize, maxPositions);
    }
}
