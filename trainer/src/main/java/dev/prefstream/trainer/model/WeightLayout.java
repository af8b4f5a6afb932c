package dev.prefstream.trainer.model;

import ai.djl.ndarray.types.Shape;
import dev.prefstream.trainer.model.family.ModelFamily;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The trainable tensors a config implies: which {@link Part}s its capabilities give it ({@link #has}), their shapes,
 * and the names its family's {@link TensorNames} gives them, in the family's module order (PyTorch's
 * {@code named_parameters()}). A tied head is listed once, as the embedding. The loader checks files against it,
 * the saver writes it, presets initialise it, the forward pass finds its weights through it.
 */
public final class WeightLayout {

    private WeightLayout() {
    }

    /**
     * One tensor of the layout.
     *
     * @param name  the Hugging Face name ({@code module.weight} / {@code module.bias})
     * @param part  what it is in the model
     * @param layer the block (0-based), or -1 for a model-level part
     * @param bias  the part's bias (else its weight)
     * @param shape as stored and used
     */
    public record Tensor(String name, Part part, int layer, boolean bias, Shape shape) {
    }

    /** Name -> shape, stable order. */
    public static Map<String, Shape> of(ModelConfig c) {
        LinkedHashMap<String, Shape> m = new LinkedHashMap<>();
        for (Tensor t : tensors(c)) {
            m.put(t.name(), t.shape());
        }
        return Collections.unmodifiableMap(m);
    }

    /** Every tensor of {@code c}'s model, in its family's module order. */
    public static List<Tensor> tensors(ModelConfig c) {
        TensorNames names = ModelFamily.of(c).names();
        List<Tensor> out = new ArrayList<>();
        for (Part p : names.beforeLayers().keySet()) {
            add(out, c, names, p, -1);
        }
        for (int i = 0; i < c.numLayers(); i++) {
            for (Part p : names.layer().keySet()) {
                add(out, c, names, p, i);
            }
        }
        for (Part p : names.afterLayers().keySet()) {
            add(out, c, names, p, -1);
        }
        for (Part p : Part.values()) {
            if (has(c, p) && names.module(p, 0) == null) {
                throw new IllegalStateException(c.modelType() + " names no tensor for " + p + ", which its config has");
            }
        }
        return List.copyOf(out);
    }

    private static void add(List<Tensor> out, ModelConfig c, TensorNames names, Part p, int layer) {
        if (!has(c, p)) {
            return;
        }
        String module = names.module(p, Math.max(layer, 0));
        out.add(new Tensor(module + ".weight", p, layer, false, weightShape(c, p)));
        if (hasBias(c, p)) {
            out.add(new Tensor(module + ".bias", p, layer, true, new Shape(outFeatures(c, p))));
        }
    }

    /** Whether {@code c}'s capabilities give its model the part. */
    public static boolean has(ModelConfig c, Part p) {
        return switch (p) {
            case TOKEN_EMBEDDING, ATTN_NORM, ATTN_OUT, MLP_NORM, MLP_UP, MLP_DOWN -> true;
            case POSITION_EMBEDDING -> c.positions() == ModelConfig.Positions.LEARNED;
            case PROJECT_IN, PROJECT_OUT -> c.projectsEmbeddings();
            case FINAL_NORM -> c.finalNorm();
            case LM_HEAD -> !c.tieWordEmbeddings();
            case QKV -> c.qkvLayout() != ModelConfig.QkvLayout.SEPARATE;
            case Q, K, V -> c.qkvLayout() == ModelConfig.QkvLayout.SEPARATE;
            case Q_NORM, K_NORM -> c.qkNorm();
            case POST_ATTN_NORM, POST_MLP_NORM -> c.sandwichNorms();
            case MLP_GATE -> c.mlpKind() == ModelConfig.MlpKind.GATED;
        };
    }

    /** Biases: LayerNorms always (q/k norms are RMSNorms), projections as the config says, embeddings never. */
    private static boolean hasBias(ModelConfig c, Part p) {
        return switch (p) {
            case ATTN_NORM, MLP_NORM, FINAL_NORM, POST_ATTN_NORM, POST_MLP_NORM ->
                    c.normKind() == ModelConfig.NormKind.LAYER_NORM;
            case QKV, Q, K, V -> c.qkvBias();
            case ATTN_OUT -> c.outputBias();
            case MLP_GATE, MLP_UP, MLP_DOWN -> c.mlpBias();
            default -> false;
        };
    }

    /** Embeddings [rows, width]; norms [width]; projections [out, in], or [in, out] with Conv1D weights. */
    private static Shape weightShape(ModelConfig c, Part p) {
        return switch (p) {
            case TOKEN_EMBEDDING, LM_HEAD -> new Shape(c.vocabSize(), c.wordEmbedProjDim());
            case POSITION_EMBEDDING -> new Shape((long) c.maxPositions() + c.positionOffset(), c.hiddenSize());
            case Q_NORM, K_NORM -> new Shape(c.headDim());
            case ATTN_NORM, MLP_NORM, FINAL_NORM, POST_ATTN_NORM, POST_MLP_NORM -> new Shape(c.hiddenSize());
            default -> c.conv1dWeights() ? new Shape(inFeatures(c, p), outFeatures(c, p))
                    : new Shape(outFeatures(c, p), inFeatures(c, p));
        };
    }

    private static long outFeatures(ModelConfig c, Part p) {
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        return switch (p) {
            case QKV -> q + 2 * kv;
            case Q -> q;
            case K, V -> kv;
            case MLP_GATE, MLP_UP -> c.intermediateSize();
            case PROJECT_OUT -> c.wordEmbedProjDim();
            default -> c.hiddenSize();    // ATTN_OUT, MLP_DOWN, PROJECT_IN, norms
        };
    }

    private static long inFeatures(ModelConfig c, Part p) {
        return switch (p) {
            case ATTN_OUT -> (long) c.numHeads() * c.headDim();
            case MLP_DOWN -> c.intermediateSize();
            case PROJECT_IN -> c.wordEmbedProjDim();
            default -> c.hiddenSize();    // QKV, Q, K, V, MLP_GATE, MLP_UP, PROJECT_OUT
        };
    }

    /** Name of the embedding that a tied head reuses. */
    public static String embeddingName(ModelConfig c) {
        return ModelFamily.of(c).names().module(Part.TOKEN_EMBEDDING, 0) + ".weight";
    }

    /** Total number of scalars. */
    public static long parameterCount(ModelConfig c) {
        return of(c).values().stream().mapToLong(Shape::size).sum();
    }
}
