package dev.prefstream.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prefstream.trainer.model.family.ModelFamily;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint tensor that holds several of the model's weights stacked by rows, as a family's
 * {@link TensorNames#fusions()} declare them (Phi-3 stores {@code self_attn.qkv_proj.weight} = q, k, v rows and
 * {@code mlp.gate_up_proj.weight} = gate, up rows). The model keeps the parts as separate weights under their own
 * names ({@link WeightLayout}): the loader splits the fused tensors, the saver fuses them again, so the forward pass,
 * optimizers and trainer state see one layout. Splitting copies each part once at load time (a few MB per layer),
 * which keeps every weight a separate contiguous array that in-place updates and the writer can use.
 *
 * @param stored the checkpoint's tensor name
 * @param parts  the model's tensor names, in row order
 */
record FusedProjections(String stored, List<String> parts) {

    /** The fused tensors of {@code c}'s checkpoint, or none when its family stores every weight on its own. */
    static List<FusedProjections> of(ModelConfig c) {
        TensorNames names = ModelFamily.of(c).names();
        List<FusedProjections> fused = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) {
            for (TensorNames.Fusion f : names.fusions()) {
                List<String> parts = new ArrayList<>();
                for (Part p : f.parts()) {
                    parts.add(names.module(p, i) + ".weight");
                }
                fused.add(new FusedProjections(names.layerPrefix() + i + "." + f.module() + ".weight", parts));
            }
        }
        return fused;
    }

    /** The checkpoint's shape: the parts' rows stacked. */
    Shape storedShape(Map<String, Shape> layout) {
        long rows = 0;
        long cols = -1;
        for (String part : parts) {
            Shape s = layout.get(part);
            rows += s.get(0);
            cols = s.get(1);
        }
        return new Shape(rows, cols);
    }

    /** Splits {@code fused} (closed here) into copies of its parts, in {@code fused}'s manager. */
    Map<String, NDArray> split(NDArray fused, Map<String, Shape> layout) {
        long[] cuts = new long[parts.size() - 1];
        long row = 0;
        for (int i = 0; i < cuts.length; i++) {
            row += layout.get(parts.get(i)).get(0);
            cuts[i] = row;
        }
        Map<String, NDArray> out = new LinkedHashMap<>();
        try (NDList views = fused.split(cuts, 0)) {
            for (int i = 0; i < parts.size(); i++) {
                out.put(parts.get(i), views.get(i).duplicate());
            }
        } finally {
            fused.close();
        }
        return out;
    }

    /**
     * The tensors to write for {@code params} in checkpoint layout: fused tensors (new arrays in {@code scratch},
     * no gradient history) in place of their parts, every other weight as is.
     */
    static Map<String, NDArray> toStored(ModelConfig c, Map<String, NDArray> params, NDManager scratch) {
        List<FusedProjections> fused = of(c);
        if (fused.isEmpty()) {
            return params;
        }
        Map<String, FusedProjections> byFirstPart = new LinkedHashMap<>();
        Map<String, Boolean> partNames = new LinkedHashMap<>();
        for (FusedProjections f : fused) {
            byFirstPart.put(f.parts.get(0), f);
            f.parts.forEach(p -> partNames.put(p, true));
        }
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            FusedProjections f = byFirstPart.get(e.getKey());
            if (f != null) {
                NDList detached = new NDList();
                for (String part : f.parts) {
                    NDArray view = params.get(part).stopGradient();
                    view.attach(scratch);
                    detached.add(view);
                }
                NDArray joined = NDArrays.concat(detached, 0);
                joined.attach(scratch);
                out.put(f.stored, joined);
            } else if (!partNames.containsKey(e.getKey())) {
                out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }
}
