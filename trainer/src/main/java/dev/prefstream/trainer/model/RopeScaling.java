package dev.prefstream.trainer.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * How rotary frequencies are scaled, from {@code config.json}'s {@code rope_scaling} (transformers 4) or
 * {@code rope_parameters} (transformers 5), following transformers' {@code modeling_rope_utils}:
 * <ul>
 *   <li>{@code default}: {@code inv_freq[i] = theta^(-2i/d)}.</li>
 *   <li>{@code linear}: every frequency divided by {@code factor} (the same as positions / factor).</li>
 *   <li>{@code llama3} (Llama 3.1/3.2): wavelengths {@code 2 pi / inv_freq} shorter than
 *       {@code original_max_position_embeddings / high_freq_factor} are kept, longer than
 *       {@code original_max_position_embeddings / low_freq_factor} are divided by {@code factor}, and the ones in
 *       between are interpolated with {@code s = (original / wavelen - low) / (high - low)}:
 *       {@code (1 - s) * inv / factor + s * inv}.</li>
 * </ul>
 * None of these rescales cos/sin (transformers' attention factor is 1 for them). {@code dynamic} (whose frequencies
 * depend on the current sequence length), {@code yarn}, {@code longrope} and the rest are refused when the config is
 * read, not in a forward pass.
 *
 * @param type                 {@code rope_type}: default, linear or llama3
 * @param factor               {@code factor}: frequency divisor (linear, llama3); 1 for default
 * @param lowFreqFactor        llama3 {@code low_freq_factor}; 0 otherwise
 * @param highFreqFactor       llama3 {@code high_freq_factor}; 0 otherwise
 * @param originalMaxPositions llama3 {@code original_max_position_embeddings}; 0 otherwise
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositions) {

    /** rope_type values that load. */
    public static final List<String> SUPPORTED_TYPES = List.of("default", "linear", "llama3");

    /** Unscaled RoPE. */
    public static final RopeScaling NONE = new RopeScaling("default", 1.0, 0, 0, 0);

    public RopeScaling {
        if (type == null || !SUPPORTED_TYPES.contains(type)) {
            throw unsupported(type);
        }
        switch (type) {
            case "default" -> {
                if (factor != 1.0 || lowFreqFactor != 0 || highFreqFactor != 0 || originalMaxPositions != 0) {
                    throw new ModelFormatException("default RoPE takes no scaling parameters");
                }
            }
            case "linear" -> {
                positive("factor", factor);
                if (lowFreqFactor != 0 || highFreqFactor != 0 || originalMaxPositions != 0) {
                    throw new ModelFormatException("linear RoPE takes only a factor");
                }
            }
            default -> {
                positive("factor", factor);
                positive("low_freq_factor", lowFreqFactor);
                positive("high_freq_factor", highFreqFactor);
                if (!(highFreqFactor > lowFreqFactor)) {
                    throw new ModelFormatException("llama3 RoPE needs high_freq_factor (" + highFreqFactor
                            + ") > low_freq_factor (" + lowFreqFactor + ")");
                }
                if (originalMaxPositions <= 0) {
                    throw new ModelFormatException("llama3 RoPE needs original_max_position_embeddings > 0, got "
                            + originalMaxPositions);
                }
            }
        }
    }

    /** positions / factor. */
    public static RopeScaling linear(double factor) {
        return new RopeScaling("linear", factor, 0, 0, 0);
    }

    /** Llama 3.1's frequency-dependent scaling. */
    public static RopeScaling llama3(double factor, double lowFreqFactor, double highFreqFactor,
                                     int originalMaxPositions) {
        return new RopeScaling("llama3", factor, lowFreqFactor, highFreqFactor, originalMaxPositions);
    }

    /**
     * The inverse frequency of each rotary pair, {@code headDim / 2} values, in double (the model rounds them to
     * float32 once, as transformers keeps {@code inv_freq} in float32).
     */
    public double[] inverseFrequencies(int headDim, double theta) {
        double[] inv = new double[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            double base = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
            inv[i] = switch (type) {
                case "linear" -> base / factor;
                case "llama3" -> llama3Frequency(base);
                default -> base;
            };
        }
        return inv;
    }

    private double llama3Frequency(double inv) {
        double wavelen = 2 * Math.PI / inv;
        double lowFreqWavelen = originalMaxPositions / lowFreqFactor;
        double highFreqWavelen = originalMaxPositions / highFreqFactor;
        if (wavelen < highFreqWavelen) {
            return inv;
        }
        if (wavelen > lowFreqWavelen) {
            return inv / factor;
        }
        double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        return (1 - smooth) * inv / factor + smooth * inv;
    }

    /**
     * Reads the scaling of a Llama-family config: {@code rope_scaling} when it is a non-empty object (transformers
     * gives it priority), else {@code rope_parameters}; {@code type} is accepted for {@code rope_type}. A llama3
     * {@code original_max_position_embeddings} falls back to the top-level key, then to {@code maxPositions}.
     */
    public static RopeScaling parse(JsonNode root, int maxPositions) {
        return parse(root, maxPositions, false);
    }

    /**
     * As {@link #parse(JsonNode, int)}; with {@code partialRotary} (GPT-NeoX, which reads its rotary share itself) a
     * partial_rotary_factor is not refused: the frequencies are then computed over the rotated dims only.
     */
    public static RopeScaling parse(JsonNode root, int maxPositions, boolean partialRotary) {
        JsonNode rope = ropeNode(root);
        double partial = root.path("partial_rotary_factor").asDouble(1.0);
        if (rope != null) {
            partial = rope.path("partial_rotary_factor").asDouble(partial);
        }
        if (partial != 1.0 && !partialRotary) {
            throw new ModelFormatException("partial_rotary_factor " + partial + " is not supported (RoPE over the "
                    + "whole head only)");
        }
        if (rope == null) {
            return NONE;
        }
        String key = root.path("rope_scaling").isObject() && !root.get("rope_scaling").isEmpty()
                ? "rope_scaling" : "rope_parameters";
        String type = rope.path("rope_type").asText(rope.path("type").asText("default"));
        if (!SUPPORTED_TYPES.contains(type)) {
            throw new ModelFormatException(key + ".rope_type '" + type + "' is not supported (supported: "
                    + String.join(", ", SUPPORTED_TYPES) + ")");
        }
        try {
            return switch (type) {
                case "linear" -> linear(required(rope, "factor"));
                case "llama3" -> {
                    JsonNode original = rope.hasNonNull("original_max_position_embeddings")
                            ? rope.get("original_max_position_embeddings")
                            : root.get("original_max_position_embeddings");
                    int originalMax = original == null || original.isNull() ? maxPositions : original.asInt();
                    yield llama3(required(rope, "factor"), required(rope, "low_freq_factor"),
                            required(rope, "high_freq_factor"), originalMax);
                }
                default -> NONE;
            };
        } catch (ModelFormatException e) {
            throw new ModelFormatException(key + " (" + type + "): " + e.getMessage(), e);
        }
    }

    /**
     * rope_theta: the RoPE object's own value first (transformers 5 puts it in rope_parameters), then the top-level
     * key; rope_parameters is consulted even when a rope_scaling object decides the scaling.
     */
    public static double theta(JsonNode root) {
        for (String key : new String[]{"rope_scaling", "rope_parameters"}) {
            JsonNode rope = root.get(key);
            if (rope != null && rope.isObject() && rope.hasNonNull("rope_theta")) {
                return rope.get("rope_theta").asDouble();
            }
        }
        return root.path("rope_theta").asDouble(10000.0);
    }

    private static JsonNode ropeNode(JsonNode root) {
        JsonNode scaling = root.get("rope_scaling");
        if (scaling != null && scaling.isObject() && !scaling.isEmpty()) {
            return scaling;
        }
        JsonNode params = root.get("rope_parameters");
        return params != null && params.isObject() ? params : null;
    }

    /** Writes rope_type and this type's parameters (not rope_theta) into a rope_parameters/rope_scaling object. */
    public void writeTo(ObjectNode rope) {
        rope.put("rope_type", type);
        switch (type) {
            case "linear" -> rope.put("factor", factor);
            case "llama3" -> {
                rope.put("factor", factor);
                rope.put("low_freq_factor", lowFreqFactor);
                rope.put("high_freq_factor", highFreqFactor);
                rope.put("original_max_position_embeddings", originalMaxPositions);
            }
            default -> {
            }
        }
    }

    private static double required(JsonNode rope, String key) {
        JsonNode v = rope.get(key);
        if (v == null || !v.isNumber()) {
            throw new ModelFormatException("missing numeric key " + key);
        }
        return v.asDouble();
    }

    private static void positive(String key, double value) {
        if (!(value > 0)) {
            throw new ModelFormatException("RoPE " + key + " must be > 0, got " + value);
        }
    }

    private static ModelFormatException unsupported(String type) {
        return new ModelFormatException("rope_type '" + type + "' is not supported (supported: "
                + String.join(", ", SUPPORTED_TYPES) + ")");
    }
}
