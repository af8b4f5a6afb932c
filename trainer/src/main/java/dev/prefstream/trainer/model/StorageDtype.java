package dev.prefstream.trainer.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.Collection;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The floating dtype a model's weights are stored in on disk, which a saved model keeps: a bf16 source is saved as
 * bf16 (an 8B model stays a 16 GB file, not 32 GB of float32) though it trains in float32. The narrowing is done in
 * Java at write time ({@link BFloat16}, {@link HalfFloat}: round to nearest even), so the weights in memory never
 * change type; float32 master copies stay in the trainer state (see DpoTrainer's {@code policy.safetensors}).
 */
public enum StorageDtype {
    F32("F32", "float32", 4),
    F16("F16", "float16", 2),
    BF16("BF16", "bfloat16", 2);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String safetensors;
    private final String torch;
    private final int bytes;

    StorageDtype(String safetensors, String torch, int bytes) {
        this.safetensors = safetensors;
        this.torch = torch;
        this.bytes = bytes;
    }

    /** The dtype's name in a safetensors header ({@code BF16}). */
    public String safetensorsName() {
        return safetensors;
    }

    /** The dtype's name in config.json's {@code torch_dtype} ({@code bfloat16}). */
    public String torchName() {
        return torch;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /**
     * The dtype config.json declares ({@code torch_dtype}, or transformers 5's {@code dtype}), empty when it declares
     * none it can be (absent, {@code "auto"}, or an unknown name).
     */
    public static Optional<StorageDtype> declared(ModelConfig config) {
        if (config.sourceJson() == null) {
            return Optional.empty();
        }
        JsonNode root;
        try {
            root = JSON.readTree(config.sourceJson());
        } catch (IOException e) {
            return Optional.empty();
        }
        for (String key : new String[] {"torch_dtype", "dtype"}) {
            Optional<StorageDtype> d = ofTorchName(root.path(key).asText(""));
            if (d.isPresent()) {
                return d;
            }
        }
        return Optional.empty();
    }

    /** The dtype to save {@code config}'s model in: the declared one, float32 when none is declared. */
    public static StorageDtype of(ModelConfig config) {
        return declared(config).orElse(F32);
    }

    /** {@code float32}/{@code float16}/{@code bfloat16} (also with a {@code torch.} prefix). */
    public static Optional<StorageDtype> ofTorchName(String name) {
        String n = name.toLowerCase(Locale.ROOT).replace("torch.", "");
        for (StorageDtype d : values()) {
            if (d.torch.equals(n)) {
                return Optional.of(d);
            }
        }
        return switch (n) {
            case "half", "fp16" -> Optional.of(F16);
            case "float", "fp32" -> Optional.of(F32);
            case "bf16" -> Optional.of(BF16);
            default -> Optional.empty();
        };
    }

    /** The dtype of safetensors floating tensors when they all share one ({@code F32}, {@code F16}, {@code BF16}). */
    public static Optional<StorageDtype> commonOf(Collection<String> safetensorsDtypes) {
        Set<String> floating = new TreeSet<>();
        for (String d : safetensorsDtypes) {
            if (d.startsWith("F") || d.equals("BF16")) {
                floating.add(d);
            }
        }
        if (floating.size() != 1) {
            return Optional.empty();
        }
        String only = floating.iterator().next();
        for (StorageDtype d : values()) {
            if (d.safetensors.equals(only)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /** {@code configJson} with {@code torch_dtype} set to this dtype (other keys unchanged). */
    public String declareIn(String configJson) {
        try {
            ObjectNode o = (ObjectNode) JSON.readTree(configJson);
            o.put("torch_dtype", torch);
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o);
        } catch (IOException | ClassCastException e) {
            throw new IllegalStateException("config.json was validated when read", e);
        }
    }
}
