package dev.prefstream.trainer.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One Hugging Face family's names for the model's {@link Part}s: the only place where checkpoint tensor names are
 * written. The loader checks and reads a checkpoint through it, the saver writes through it, the forward pass and the
 * LoRA targets find their weights through it ({@link WeightLayout}). Insertion order is the family's module order
 * (PyTorch's {@code named_parameters()}), which the layout and thus the saved file follow.
 *
 * @param basePrefix   the head model's prefix that base-model checkpoints leave out ({@code model.}), or ""
 * @param beforeLayers model-level parts listed before the blocks, with their module paths
 * @param layerPrefix  the blocks' path, followed by the layer index and a dot ({@code model.layers.})
 * @param layer        per-block parts with their paths inside the block
 * @param afterLayers  model-level parts listed after the blocks
 * @param fusions      per-block checkpoint tensors that hold several parts stacked by rows (the model keeps the parts
 *                     separate; see {@link FusedProjections}); empty for most families
 */
public record TensorNames(String basePrefix, Map<Part, String> beforeLayers, String layerPrefix, Map<Part, String> layer,
                          Map<Part, String> afterLayers, List<Fusion> fusions) {

    /**
     * A checkpoint tensor stored fused: {@code module.weight} holds the parts' weights stacked by rows, in order.
     *
     * @param module the fused module's path inside the block
     * @param parts  the parts it holds, in row order
     */
    public record Fusion(String module, List<Part> parts) {
        public Fusion {
            parts = List.copyOf(parts);
        }
    }

    public TensorNames {
        beforeLayers = Collections.unmodifiableMap(new LinkedHashMap<>(beforeLayers));
        layer = Collections.unmodifiableMap(new LinkedHashMap<>(layer));
        afterLayers = Collections.unmodifiableMap(new LinkedHashMap<>(afterLayers));
        fusions = List.copyOf(fusions);
        for (Map<Part, String> m : List.of(beforeLayers, afterLayers)) {
            m.keySet().stream().filter(Part::perLayer).findFirst().ifPresent(p -> {
                throw new IllegalArgumentException(p + " is a per-layer part");
            });
        }
        layer.keySet().stream().filter(p -> !p.perLayer()).findFirst().ifPresent(p -> {
            throw new IllegalArgumentException(p + " is a model-level part");
        });
    }

    /** Starts a mapping whose blocks live under {@code layerPrefix}N. */
    public static Builder builder(String basePrefix, String layerPrefix) {
        return new Builder(basePrefix, layerPrefix);
    }

    /** The module path of {@code part} (in block {@code layer} for a per-layer part), or null when unnamed. */
    public String module(Part part, int layer) {
        if (part.perLayer()) {
            String inside = this.layer.get(part);
            return inside == null ? null : layerPrefix + layer + "." + inside;
        }
        String name = beforeLayers.get(part);
        return name != null ? name : afterLayers.get(part);
    }

    /** This mapping with fused checkpoint tensors added. */
    public TensorNames withFusions(List<Fusion> fused) {
        return new TensorNames(basePrefix, beforeLayers, layerPrefix, layer, afterLayers, fused);
    }

    /** Collects parts in module order. */
    public static final class Builder {
        private final String basePrefix;
        private final String layerPrefix;
        private final Map<Part, String> before = new LinkedHashMap<>();
        private final Map<Part, String> layer = new LinkedHashMap<>();
        private final Map<Part, String> after = new LinkedHashMap<>();

        private Builder(String basePrefix, String layerPrefix) {
            this.basePrefix = basePrefix;
            this.layerPrefix = layerPrefix;
        }

        /** A model-level part listed before the blocks. */
        public Builder before(Part part, String module) {
            before.put(part, module);
            return this;
        }

        /** A per-block part, {@code module} relative to the block. */
        public Builder layer(Part part, String module) {
            layer.put(part, module);
            return this;
        }

        /** A model-level part listed after the blocks. */
        public Builder after(Part part, String module) {
            after.put(part, module);
            return this;
        }

        public TensorNames build() {
            return new TensorNames(basePrefix, before, layerPrefix, layer, after, List.of());
        }
    }
}
