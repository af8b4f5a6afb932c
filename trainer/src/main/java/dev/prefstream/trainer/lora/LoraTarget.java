package dev.prefstream.trainer.lora;

import ai.djl.ndarray.types.Shape;
import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.TensorNames;
import dev.prefstream.trainer.model.WeightLayout;
import dev.prefstream.trainer.model.family.ModelFamily;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One projection that carries an adapter.
 *
 * @param module      the module path in Hugging Face terms, e.g. {@code model.layers.0.self_attn.q_proj}
 * @param weight      the base weight's name ({@code module + ".weight"})
 * @param in          input features
 * @param out         output features
 * @param fanInFanOut the base weight is stored [in, out] (GPT-2's Conv1D) instead of nn.Linear's [out, in]
 */
public record LoraTarget(String module, String weight, long in, long out, boolean fanInFanOut) {

    /** PEFT's key of the adapter's A matrix: {@code base_model.model.<module>.lora_A.weight}, shape [r, in]. */
    public String keyA() {
        return "base_model.model." + module + ".lora_A.weight";
    }

    /** PEFT's key of the adapter's B matrix: {@code base_model.model.<module>.lora_B.weight}, shape [out, r]. */
    public String keyB() {
        return "base_model.model." + module + ".lora_B.weight";
    }

    /**
     * The projections of {@code model} that {@code names} select, in the model's module order. A module matches a
     * name when its path equals it or ends with "." + name (PEFT's rule for a list of target_modules). Only the
     * blocks' attention and MLP projections ({@link dev.prefstream.trainer.model.Part#isBlockProjection}) are
     * targets; embeddings, norms, embedding projections and the output head never are.
     *
     * @throws IllegalArgumentException when a name matches no projection (listing the ones that exist), or for
     *                                  a family whose checkpoints fuse projections (Phi-3's qkv_proj /
     *                                  gate_up_proj), which have no split PEFT names
     */
    public static List<LoraTarget> resolve(ModelConfig model, List<String> names) {
        if (!ModelFamily.of(model).names().fusions().isEmpty()) {
            throw new IllegalArgumentException("LoRA is not supported for " + model.modelType() + ": its checkpoints "
                    + "fuse projections (" + ModelFamily.of(model).names().fusions().stream()
                    .map(TensorNames.Fusion::module).collect(Collectors.joining(", ")) + ") that this trainer "
                    + "splits, so a PEFT adapter of the split projections would not load onto the Hugging Face "
                    + "model; use full fine-tuning (--lora-rank 0)");
        }
        List<LoraTarget> out = new ArrayList<>();
        Set<String> used = new LinkedHashSet<>();
        Set<String> available = new LinkedHashSet<>();
        for (WeightLayout.Tensor t : WeightLayout.tensors(model)) {
            if (!t.part().isBlockProjection() || t.bias()) {
                continue;
            }
            Shape s = t.shape();
            String module = t.name().substring(0, t.name().length() - ".weight".length());
            String leaf = module.substring(module.lastIndexOf('.') + 1);
            available.add(leaf);
            for (String n : names) {
                if (module.equals(n) || module.endsWith("." + n)) {
                    boolean conv1d = model.conv1dWeights();
                    long in = conv1d ? s.get(0) : s.get(1);
                    long outF = conv1d ? s.get(1) : s.get(0);
                    out.add(new LoraTarget(module, t.name(), in, outF, conv1d));
                    used.add(n);
                    break;
                }
            }
        }
        for (String n : names) {
            if (!used.contains(n)) {
                throw new IllegalArgumentException("LoRA target '" + n + "' matches no projection of this "
                        + model.modelType() + " model; its projections are " + String.join(",", available));
            }
        }
        return List.copyOf(out);
    }
}
