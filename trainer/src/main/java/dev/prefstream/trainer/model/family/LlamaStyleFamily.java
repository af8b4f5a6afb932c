package dev.prefstream.trainer.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.ModelFormatException;
import dev.prefstream.trainer.model.Part;
import dev.prefstream.trainer.model.RopeScaling;
import dev.prefstream.trainer.model.TensorNames;

import java.util.List;

import static dev.prefstream.trainer.model.family.ConfigKeys.firstId;
import static dev.prefstream.trainer.model.family.ConfigKeys.headSize;
import static dev.prefstream.trainer.model.family.ConfigKeys.optionalInt;
import static dev.prefstream.trainer.model.family.ConfigKeys.requiredInt;

/**
 * What the Llama-derived families (Llama, Mistral, Qwen2, Qwen3, Phi-3, Gemma, Gemma 2) share: the tensor names of
 * LlamaForCausalLM, the config keys for sizes, grouped-query heads, head_dim, RMSNorm eps, RoPE, token ids,
 * {@code tie_word_embeddings}, biases and activation, the two sliding-window conventions, and the PEFT target names.
 * Each family class overrides only its defaults and differences.
 */
abstract class LlamaStyleFamily extends HfFamily {

    /** transformers' defaults for an absent {@code sliding_window} / {@code max_window_layers}. */
    private static final int HF_DEFAULT_SLIDING_WINDOW = 4096;
    private static final int HF_DEFAULT_MAX_WINDOW_LAYERS = 28;

    /** LlamaForCausalLM's names in module order (q_norm / k_norm exist only with per-head q/k norms, Qwen3's). */
    static final TensorNames NAMES = TensorNames.builder("model.", "model.layers.")
            .before(Part.TOKEN_EMBEDDING, "model.embed_tokens")
            .layer(Part.Q, "self_attn.q_proj")
            .layer(Part.K, "self_attn.k_proj")
            .layer(Part.V, "self_attn.v_proj")
            .layer(Part.ATTN_OUT, "self_attn.o_proj")
            .layer(Part.Q_NORM, "self_attn.q_norm")
            .layer(Part.K_NORM, "self_attn.k_norm")
            .layer(Part.MLP_GATE, "mlp.gate_proj")
            .layer(Part.MLP_UP, "mlp.up_proj")
            .layer(Part.MLP_DOWN, "mlp.down_proj")
            .layer(Part.ATTN_NORM, "input_layernorm")
            .layer(Part.MLP_NORM, "post_attention_layernorm")
            .after(Part.FINAL_NORM, "model.norm")
            .after(Part.LM_HEAD, "lm_head")
            .build();

    /** PEFT's names for every attention and MLP projection of a Llama-style model. */
    static final List<String> LORA_TARGETS = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
            "down_proj");

    private final String modelType;
    private final String architecture;

    LlamaStyleFamily(String modelType, String architecture) {
        this(modelType, architecture, NAMES);
    }

    /** A family whose checkpoints name (or fuse) some tensors otherwise. */
    LlamaStyleFamily(String modelType, String architecture, TensorNames names) {
        super(names, LORA_TARGETS);
        this.modelType = modelType;
        this.architecture = architecture;
    }

    /** The family's {@code model_type}. */
    final String modelType() {
        return modelType;
    }

    /** The plain Llama graph; families with other fixed capabilities override. */
    @Override
    ModelConfig.Builder builder() {
        return ModelConfig.builder(modelType);
    }

    /** {@code head_dim} when absent, or null for hidden / heads. */
    Integer defaultHeadDim() {
        return null;
    }

    /** {@code num_key_value_heads} when absent, or null for no grouping. */
    Integer defaultKvHeads() {
        return null;
    }

    /** {@code rms_norm_eps} when absent. */
    double defaultEps() {
        return 1e-6;
    }

    /** {@code tie_word_embeddings} when absent. */
    boolean defaultTie() {
        return false;
    }

    /**
     * Biases, activation and window, into {@code b}: by default {@code attention_bias} on q/k/v/o, {@code mlp_bias},
     * SwiGLU's silu, no window.
     */
    void readDifferences(JsonNode n, ModelConfig.Builder b, int layers) {
        boolean attentionBias = n.path("attention_bias").asBoolean(false);
        b.qkvBias(attentionBias).outputBias(attentionBias).mlpBias(n.path("mlp_bias").asBoolean(false))
                .hiddenAct(siluActivation(n, modelType));
    }

    /** The family's keys between the RoPE keys and the activation (its window, by default none). */
    void writeDifferences(ModelConfig c, ObjectNode o) {
    }

    /** Whether the family's config has an {@code attention_bias} key (Qwen2's has not). */
    boolean hasAttentionBiasKey() {
        return true;
    }

    @Override
    final ModelConfig read(JsonNode n, String json) {
        ModelConfig.Builder b = readCommon(n, json, builder(), defaultHeadDim(), defaultKvHeads(), defaultEps())
                .tieWordEmbeddings(n.path("tie_word_embeddings").asBoolean(defaultTie()));
        readDifferences(n, b, requiredInt(n, "num_hidden_layers"));
        return b.build();
    }

    @Override
    final void write(ModelConfig c, ObjectNode o) {
        writeCommon(c, o, architecture);
        writeDifferences(c, o);
        writeTail(c, o, hasAttentionBiasKey());
    }

    /**
     * Sizes, heads ({@code num_key_value_heads}, default {@code defaultKvHeads} or no grouping), {@code head_dim}
     * (default {@code defaultHeadDim}, or hidden / heads when null), {@code intermediate_size},
     * {@code rms_norm_eps} ({@code defaultEps}), RoPE (full head only), bos/eos, into {@code b}.
     */
    static ModelConfig.Builder readCommon(JsonNode n, String json, ModelConfig.Builder b, Integer defaultHeadDim,
                                          Integer defaultKvHeads, double defaultEps) {
        int vocab = requiredInt(n, "vocab_size");
        int hidden = requiredInt(n, "hidden_size");
        int heads = requiredInt(n, "num_attention_heads");
        int layers = requiredInt(n, "num_hidden_layers");
        int maxPositions = requiredInt(n, "max_position_embeddings");
        Integer kv = optionalInt(n, "num_key_value_heads");
        Integer headDim = optionalInt(n, "head_dim");
        if (headDim == null) {
            headDim = defaultHeadDim != null ? defaultHeadDim : Integer.valueOf(headSize(hidden, heads));
        }
        return b.vocabSize(vocab).hiddenSize(hidden).numLayers(layers).numHeads(heads)
                .numKvHeads(kv != null ? kv : defaultKvHeads != null ? defaultKvHeads : heads).headDim(headDim)
                .intermediateSize(requiredInt(n, "intermediate_size")).maxPositions(maxPositions)
                .normEps(n.path("rms_norm_eps").asDouble(defaultEps)).ropeTheta(RopeScaling.theta(n))
                .ropeScaling(RopeScaling.parse(n, maxPositions))
                .bosTokenId(firstId(n.get("bos_token_id"))).eosTokenId(firstId(n.get("eos_token_id")))
                .sourceJson(json);
    }

    /** {@code hidden_act} (silu), refusing anything but SwiGLU's silu. */
    static String siluActivation(JsonNode n, String modelType) {
        String act = n.path("hidden_act").asText("silu");
        if (!act.equals("silu") && !act.equals("swish")) {
            throw new ModelFormatException(modelType + " hidden_act '" + act + "' is not supported (silu)");
        }
        return act;
    }

    /**
     * Gemma's MLP activation: {@code hidden_activation} when set (transformers 4.38-4.4x read only it, defaulting to
     * gelu_pytorch_tanh; Google's configs set it), else {@code hidden_act} (GemmaConfig default gelu_pytorch_tanh);
     * only the tanh gelu is implemented.
     */
    static String gemmaActivation(JsonNode n, String modelType) {
        JsonNode given = n.get("hidden_activation");
        String act = given != null && !given.isNull() ? given.asText() : n.path("hidden_act").asText("gelu_pytorch_tanh");
        if (!act.equals("gelu_pytorch_tanh") && !act.equals("gelu_new")) {
            throw new ModelFormatException(modelType + " hidden_activation '" + act + "' is not supported "
                    + "(gelu_pytorch_tanh; exact-erf gelu is not implemented)");
        }
        return act;
    }

    /** A window on every layer: {@code sliding_window}, {@code absent} when the key is missing, none when null. */
    static Integer everyLayerWindow(JsonNode n, Integer absent) {
        return n.has("sliding_window") ? optionalInt(n, "sliding_window") : absent;
    }

    /** The default window of the families that have one (transformers' 4096). */
    static Integer defaultWindow() {
        return HF_DEFAULT_SLIDING_WINDOW;
    }

    /**
     * Qwen2/Qwen3's window as transformers builds it, into {@code b}: only with {@code use_sliding_window}, layers
     * {@code >= max_window_layers} (default 28), or as an explicit {@code layer_types} list says, which must then be
     * full layers followed by sliding ones.
     */
    static ModelConfig.Builder qwenWindow(JsonNode n, ModelConfig.Builder b, int layers) {
        Integer window = everyLayerWindow(n, HF_DEFAULT_SLIDING_WINDOW);
        if (!n.path("use_sliding_window").asBoolean(false) || window == null) {
            return b;
        }
        Integer fromLayer = optionalInt(n, "max_window_layers");
        int first = fromLayer == null ? HF_DEFAULT_MAX_WINDOW_LAYERS : fromLayer;
        JsonNode types = n.get("layer_types");
        if (types != null && !types.isNull()) {
            first = firstSlidingLayer(slidingLayers(types, layers));
        }
        return b.slidingWindow(window).maxWindowLayers(first);
    }

    /** The index where a per-layer list switches from full to sliding attention (its size if never). */
    private static int firstSlidingLayer(List<Boolean> sliding) {
        int first = sliding.size();
        for (int i = 0; i < sliding.size(); i++) {
            if (sliding.get(i) && first == sliding.size()) {
                first = i;
            } else if (!sliding.get(i) && first < sliding.size()) {
                throw new ModelFormatException("layer_types with a full_attention layer (" + i + ") after a "
                        + "sliding_attention layer (" + first + ") is not supported");
            }
        }
        return first;
    }

    /** An explicit {@code layer_types} list as per-layer "uses the window" flags. */
    static List<Boolean> slidingLayers(JsonNode types, int layers) {
        if (!types.isArray() || types.size() != layers) {
            throw new ModelFormatException("layer_types must list one type per layer (" + layers + "), got " + types);
        }
        Boolean[] sliding = new Boolean[layers];
        for (int i = 0; i < layers; i++) {
            String type = types.get(i).asText();
            if (!type.equals("full_attention") && !type.equals("sliding_attention")) {
                throw new ModelFormatException("layer_types[" + i + "] '" + type + "' is not supported "
                        + "(full_attention, sliding_attention)");
            }
            sliding[i] = type.equals("sliding_attention");
        }
        return List.of(sliding);
    }

    /** The layer_types list of {@code c}'s window. */
    static void writeLayerTypes(ModelConfig c, ObjectNode o) {
        ArrayNode types = o.putArray("layer_types");
        for (int i = 0; i < c.numLayers(); i++) {
            types.add(c.slidingWindowAt(i) ? "sliding_attention" : "full_attention");
        }
    }

    /** Architecture, sizes, heads, head_dim, RMSNorm eps and RoPE keys. */
    static void writeCommon(ModelConfig c, ObjectNode o, String architecture) {
        o.putArray("architectures").add(architecture);
        o.put("hidden_size", c.hiddenSize());
        o.put("num_hidden_layers", c.numLayers());
        o.put("num_attention_heads", c.numHeads());
        o.put("num_key_value_heads", c.numKvHeads());
        o.put("head_dim", c.headDim());
        o.put("intermediate_size", c.intermediateSize());
        o.put("max_position_embeddings", c.maxPositions());
        o.put("rms_norm_eps", c.normEps());
        ConfigKeys.writeRope(c, o).remove("partial_rotary_factor");
    }

    /** Activation and bias keys ({@code attention_bias} only where the family reads it), dropout for fresh configs. */
    static void writeTail(ModelConfig c, ObjectNode o, boolean attentionBiasKey) {
        o.put("hidden_act", c.hiddenAct());
        if (attentionBiasKey) {
            o.put("attention_bias", c.qkvBias());
        }
        o.put("mlp_bias", c.mlpBias());
        if (c.sourceJson() == null) {
            o.put("attention_dropout", 0.0);
            o.put("initializer_range", 0.02);
        }
    }

    /** Mistral's / Phi-3's {@code sliding_window} (null: none). */
    static void writeEveryLayerWindow(ModelConfig c, ObjectNode o) {
        ConfigKeys.putNullable(o, "sliding_window", c.slidingWindow());
    }

    /** Qwen's use_sliding_window / sliding_window / max_window_layers, and layer_types when the source has one. */
    static void writeQwenWindow(ModelConfig c, ObjectNode o) {
        o.put("use_sliding_window", c.slidingWindow() != null);
        if (c.slidingWindow() != null) {
            o.put("sliding_window", c.slidingWindow());
        } else if (!o.has("sliding_window")) {
            o.putNull("sliding_window");
        }
        o.put("max_window_layers", c.maxWindowLayers());
        if (o.has("layer_types")) {
            // transformers prefers an explicit list to max_window_layers: keep it in step
            writeLayerTypes(c, o);
        }
    }
}
