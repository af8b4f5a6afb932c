package dev.prefstream.trainer.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The architecture of a decoder-only model, in Hugging Face {@code config.json} terms. One record covers GPT-2 and
 * the Llama family (Llama, Mistral, Qwen2, SmolLM); the family decides which weights exist and how they are used.
 *
 * @param modelType         HF {@code model_type}: gpt2, llama, mistral or qwen2
 * @param vocabSize         rows of the embedding and of the output head ({@code vocab_size})
 * @param hiddenSize        width of the residual stream ({@code n_embd} / {@code hidden_size})
 * @param numLayers         transformer blocks ({@code n_layer} / {@code num_hidden_layers})
 * @param numHeads          query heads ({@code n_head} / {@code num_attention_heads})
 * @param numKvHeads        key/value heads, fewer than {@code numHeads} for grouped-query attention
 * @param headDim           width of one head ({@code head_dim}, default hidden / heads)
 * @param intermediateSize  MLP width ({@code n_inner}, default 4 x hidden for GPT-2 / {@code intermediate_size})
 * @param maxPositions      longest sequence ({@code n_positions} / {@code max_position_embeddings})
 * @param normEps           LayerNorm / RMSNorm epsilon ({@code layer_norm_epsilon} / {@code rms_norm_eps})
 * @param ropeTheta         rotary base ({@code rope_theta}); unused by GPT-2
 * @param tieWordEmbeddings output head shares the token embedding ({@code tie_word_embeddings})
 * @param qkvBias           q/k/v projections have biases (Llama {@code attention_bias}, always for Qwen2)
 * @param outputBias        the attention output projection has a bias (Llama {@code attention_bias}, not Qwen2)
 * @param mlpBias           gate/up/down projections have biases ({@code mlp_bias})
 * @param hiddenAct         MLP activation: gelu_new (GPT-2) or silu (Llama family)
 * @param bosTokenId        beginning-of-sequence id, or null
 * @param eosTokenId        end-of-sequence id (first one when the config lists several), or null
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
        String sourceJson) {

    /** The two computation graphs this project implements. */
    public enum Family { GPT2, LLAMA }

    /** model_type values that load. */
    public static final List<String> SUPPORTED_MODEL_TYPES = List.of("gpt2", "llama", "mistral", "qwen2");

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Logger LOG = LoggerFactory.getLogger(ModelConfig.class);

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
        } else {
            if (!hiddenAct.equals("silu") && !hiddenAct.equals("swish")) {
                throw new ModelFormatException(modelType + " hidden_act '" + hiddenAct + "' is not supported (silu)");
            }
            if (headDim % 2 != 0) {
                throw new ModelFormatException("rotary embeddings need an even head_dim, got " + headDim);
            }
            if (!(ropeTheta > 0)) {
                throw new ModelFormatException("rope_theta must be > 0, got " + ropeTheta);
            }
        }
        if (eosTokenId != null && (eosTokenId < 0 || eosTokenId >= vocabSize)) {
            throw new ModelFormatException("eos_token_id " + eosTokenId + " is outside the vocabulary (" + vocabSize + ")");
        }
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new ModelFormatException(key + " must be > 0, got " + value);
        }
    }

    /** Which graph to build. */
    public Family family() {
        return modelType.equals("gpt2") ? Family.GPT2 : Family.LLAMA;
    }

    /** Query heads per key/value head. */
    public int groupSize() {
        return numHeads / numKvHeads;
    }

    /** The same architecture without the remembered source text (for comparing configs). */
    public ModelConfig withoutSource() {
        return new ModelConfig(modelType, vocabSize, hiddenSize, numLayers, numHeads, numKvHeads, headDim,
                intermediateSize, maxPositions, normEps, ropeTheta, tieWordEmbeddings, qkvBias, outputBias, mlpBias,
                hiddenAct, bosTokenId, eosTokenId, null);
    }

    /** A Llama-style config built in code (presets, tests). */
    public static ModelConfig llama(int vocabSize, int hiddenSize, int numLayers, int numHeads, int numKvHeads,
                                    int intermediateSize, int maxPositions, boolean tieWordEmbeddings, int eosTokenId) {
        return new ModelConfig("llama", vocabSize, hiddenSize, numLayers, numHeads, numKvHeads, hiddenSize / numHeads,
                intermediateSize, maxPositions, 1e-5, 10000.0, tieWordEmbeddings, false, false, false, "silu",
                eosTokenId, eosTokenId, null);
    }

    /** A GPT-2-style config built in code (presets, tests). */
    public static ModelConfig gpt2(int vocabSize, int hiddenSize, int numLayers, int numHeads, int maxPositions,
                                   int eosTokenId) {
        return new ModelConfig("gpt2", vocabSize, hiddenSize, numLayers, numHeads, numHeads, hiddenSize / numHeads,
                4 * hiddenSize, maxPositions, 1e-5, 10000.0, true, true, true, true, "gelu_new",
                eosTokenId, eosTokenId, null);
    }

    /** Reads and validates {@code dir/config.json}; errors name the file. */
    public static ModelConfig read(Path configFile) {
        String text;
        try {
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
                    n.path("activation_function").asText("gelu_new"), bos, eos, json);
        }
        int hidden = requiredInt(n, "hidden_size");
        int heads = requiredInt(n, "num_attention_heads");
        Integer kv = optionalInt(n, "num_key_value_heads");
        Integer headDim = optionalInt(n, "head_dim");
        if (headDim == null && hidden % heads != 0) {
            throw new ModelFormatException("hidden_size (" + hidden + ") is not a multiple of num_attention_heads (" + heads + ")");
        }
        boolean attentionBias = n.path("attention_bias").asBoolean(false);
        JsonNode window = n.get("sliding_window");
        boolean windowed = window != null && window.canConvertToInt()
                && (modelType.equals("mistral") || n.path("use_sliding_window").asBoolean(false));
        if (windowed && window.asInt() < requiredInt(n, "max_position_embeddings")) {
            // we always attend to the full prefix: identical to HF only while sequences fit in the window
            LOG.warn("{}: sliding_window {} is not implemented; sequences longer than it differ from transformers",
                    source, window.asInt());
        }
        boolean qwen2 = modelType.equals("qwen2");
        return new ModelConfig(modelType, vocab, hidden, requiredInt(n, "num_hidden_layers"), heads,
                kv == null ? heads : kv, headDim == null ? hidden / heads : headDim,
                requiredInt(n, "intermediate_size"), requiredInt(n, "max_position_embeddings"),
                n.path("rms_norm_eps").asDouble(1e-6), ropeTheta(n),
                n.path("tie_word_embeddings").asBoolean(false),
                qwen2 || attentionBias, !qwen2 && attentionBias, n.path("mlp_bias").asBoolean(false),
                n.path("hidden_act").asText("silu"), bos, eos, json);
    }

    /** rope_theta at top level (transformers 4) or in rope_parameters (transformers 5); only unscaled RoPE. */
    private static double ropeTheta(JsonNode n) {
        for (String key : List.of("rope_scaling", "rope_parameters")) {
            JsonNode rope = n.get(key);
            if (rope != null && rope.isObject()) {
                String type = rope.path("rope_type").asText(rope.path("type").asText("default"));
                if (!type.equals("default")) {
                    throw new ModelFormatException(key + ".rope_type '" + type + "' is not supported (default only)");
                }
            }
        }
        if (n.hasNonNull("rope_theta")) {
            return n.get("rope_theta").asDouble();
        }
        JsonNode params = n.get("rope_parameters");
        if (params != null && params.hasNonNull("rope_theta")) {
            return params.get("rope_theta").asDouble();
        }
        return 10000.0;
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
        o.put("dtype", "float32");
        o.put("torch_dtype", "float32");
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
        } else {
            String arch = switch (modelType) {
                case "mistral" -> "MistralForCausalLM";
                case "qwen2" -> "Qwen2ForCausalLM";
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
            o.put("rope_theta", ropeTheta);
            ObjectNode rope = o.putObject("rope_parameters");
            rope.put("rope_type", "default");
            rope.put("rope_theta", ropeTheta);
            o.put("hidden_act", hiddenAct);
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

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s(vocab=%d, hidden=%d, layers=%d, heads=%d/%d, ff=%d, ctx=%d)",
                modelType, vocabSize, hiddenSize, numLayers, numHeads, numKvHeads, intermediateSize, maxPositions);
    }
}
