package dev.prefstream.trainer.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.prefstream.trainer.model.family.ModelFamily;
import dev.prefstream.trainer.tokenizer.ByteTokenizer;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Random-weight models in the shapes of real checkpoints, for {@code prefstream bench train} only: speed and memory
 * depend on the shapes, not on the values, so no download is needed. The weights are drawn by libtorch (normal,
 * std 0.02; norms 1, biases 0) from a seed, which takes seconds even at 0.5B parameters (a Java draw like
 * {@link ModelPresets} would take minutes there). The tokenizer is the byte tokenizer (ids below 257 are valid in
 * any of these vocabularies). {@code bench/compare_train.py} builds the same shapes on the PyTorch side.
 */
public final class ShapePresets {

    /** Llama, 4 layers, hidden 256, 4 heads, MLP 688, vocab 32,000, untied head: 19.5M parameters. */
    public static final String LLAMA_19M = "llama-19m";
    /** Llama, 8 layers, hidden 512, 8 heads, MLP 1376, vocab 32,000, untied head: 58.1M parameters. */
    public static final String LLAMA_58M = "llama-58m";
    /** Qwen2.5-0.5B: qwen2, 24 layers, hidden 896, 14 heads / 2 KV heads, MLP 4864, vocab 151,936, tied: 494M. */
    public static final String QWEN25_05B = "qwen2.5-0.5b-shape";
    /** Qwen2.5-1.5B: 28 layers, hidden 1536, 12 heads / 2 KV heads, MLP 8960, vocab 151,936, tied: 1.54B. */
    public static final String QWEN25_15B = "qwen2.5-1.5b-shape";

    private ShapePresets() {
    }

    /** Names {@link #random} accepts. */
    public static List<String> names() {
        return List.of(LLAMA_19M, LLAMA_58M, QWEN25_05B, QWEN25_15B);
    }

    public static boolean isShape(String name) {
        return names().contains(name);
    }

    /** The architecture of a shape. */
    public static ModelConfig config(String name) {
        int eos = ByteTokenizer.EOS_ID;
        return switch (name) {
            case LLAMA_19M -> ModelConfig.llama(32_000, 256, 4, 4, 4, 688, 2048, false, eos);
            case LLAMA_58M -> ModelConfig.llama(32_000, 512, 8, 8, 8, 1376, 2048, false, eos);
            case QWEN25_05B -> qwen2(896, 24, 14, 2, 4864);
            case QWEN25_15B -> qwen2(1536, 28, 12, 2, 8960);
            default -> throw new IllegalArgumentException("unknown shape '" + name + "' (known: "
                    + String.join(", ", names()) + ")");
        };
    }

    private static ModelConfig qwen2(int hidden, int layers, int heads, int kvHeads, int intermediate) {
        return ModelFamily.QWEN2.builder().vocabSize(151_936).hiddenSize(hidden).numLayers(layers).numHeads(heads)
                .numKvHeads(kvHeads).headDim(hidden / heads).intermediateSize(intermediate).maxPositions(4096)
                .normEps(1e-6).ropeTheta(1_000_000.0).tieWordEmbeddings(true)
                .bosTokenId(ByteTokenizer.EOS_ID).eosTokenId(ByteTokenizer.EOS_ID).build();
    }

    /** A model of shape {@code name} with random weights in a new base manager on {@code device}. */
    public static LoadedModel random(String name, Device device, long seed) {
        ModelConfig config = config(name);
        NDManager m = NDManager.newBaseManager(device);
        try {
            Engine.getInstance().setRandomSeed((int) seed);
            Map<String, NDArray> weights = new LinkedHashMap<>();
            for (WeightLayout.Tensor t : WeightLayout.tensors(config)) {
                Shape shape = t.shape();
                NDArray w;
                if (shape.dimension() > 1) {
                    w = m.randomNormal(0f, 0.02f, shape, DataType.FLOAT32);
                } else if (t.part().isNorm() && !t.bias()) {
                    w = m.ones(shape, DataType.FLOAT32);
                } else {
                    w = m.zeros(shape, DataType.FLOAT32);
                }
                weights.put(t.name(), w);
            }
            return new LoadedModel(new DecoderModel(config, m, weights), new ByteTokenizer());
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }
}
