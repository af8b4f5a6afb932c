package dev.prefstream.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prefstream.trainer.model.family.ModelFamily;
import dev.prefstream.trainer.tokenizer.TextTokenizer;
import dev.prefstream.trainer.tokenizer.Tokenizers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Loads a local Hugging Face model directory ({@code config.json} and {@code model.safetensors} or a sharded
 * {@code model.safetensors.index.json}) into a {@link DecoderModel}, through the family's {@link TensorNames}.
 * Tensor names may carry the head model's prefix ({@code transformer.}, {@code model.}, {@code gpt_neox.}) or not
 * (base-model checkpoints). Tensors the model does
 * not use (e.g. the attention.bias / masked_bias / rotary_emb.inv_freq buffers of older GPT-NeoX checkpoints) are
 * ignored and not saved again. Errors name the file and the tensor.
 * Weights load as float32 unless a float16 model is asked for (stored F32/F16/BF16 all convert; one tensor at a
 * time, so the float32 copy of the whole model never exists).
 */
public final class HfModelLoader {

    private static final Logger LOG = LoggerFactory.getLogger(HfModelLoader.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Name of the single-file weights. */
    public static final String WEIGHTS_FILE = "model.safetensors";
    /** Name of the shard index. */
    public static final String INDEX_FILE = "model.safetensors.index.json";
    /** Name of the architecture file. */
    public static final String CONFIG_FILE = "config.json";

    private HfModelLoader() {
    }

    /** Loads onto {@code device} with a new base manager owned by the model, float32 weights. */
    public static DecoderModel load(Path dir, Device device) {
        return load(dir, device, DataType.FLOAT32);
    }

    /**
     * Loads onto {@code device} with a new base manager owned by the model.
     *
     * @param weightType float32, or float16 for mixed-precision training / half-precision inference (bfloat16 is
     *                   refused: DJL 0.35.1 aborts the JVM casting to it)
     */
    public static DecoderModel load(Path dir, Device device, DataType weightType) {
        checkWeightType(weightType);
        NDManager m = NDManager.newBaseManager(device);
        try {
            return loadInto(dir, m, weightType);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Loads with weights in a new sub-manager of {@code parent} (same device). */
    public static DecoderModel load(Path dir, NDManager parent) {
        NDManager m = parent.newSubManager();
        try {
            return loadInto(dir, m, DataType.FLOAT32);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Model plus the directory's tokenizer ({@code tokenizer.json}). */
    public static LoadedModel loadWithTokenizer(Path dir, Device device) {
        return loadWithTokenizer(dir, device, DataType.FLOAT32);
    }

    /** Model with weights of {@code weightType} plus the directory's tokenizer. */
    public static LoadedModel loadWithTokenizer(Path dir, Device device, DataType weightType) {
        DecoderModel model = load(dir, device, weightType);
        try {
            TextTokenizer tok = Tokenizers.load(dir, model.config());
            return new LoadedModel(model, tok);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private static void checkWeightType(DataType type) {
        if (type == DataType.BFLOAT16) {
            throw new IllegalArgumentException("bfloat16 weights are not supported: DJL 0.35.1 aborts the JVM casting "
                    + "to bfloat16; load float32 or float16");
        }
        if (type != DataType.FLOAT32 && type != DataType.FLOAT16) {
            throw new IllegalArgumentException("weights load as float32 or float16, not " + type);
        }
    }

    private static DecoderModel loadInto(Path dir, NDManager m, DataType weightType) {
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir + ": not a model directory");
        }
        ModelConfig config = ModelConfig.read(dir.resolve(CONFIG_FILE));
        Map<String, Shape> layout = WeightLayout.of(config);
        String basePrefix = ModelFamily.of(config).names().basePrefix();
        List<SafetensorsReader> readers = new ArrayList<>();
        try {
            Map<String, SafetensorsReader> byTensor = openWeights(dir, readers);
            Map<String, NDArray> weights = new LinkedHashMap<>();
            Set<String> used = new TreeSet<>();
            Map<String, FusedProjections> fusedByPart = new HashMap<>();
            for (FusedProjections f : FusedProjections.of(config)) {
                f.parts().forEach(part -> fusedByPart.put(part, f));
            }
            for (Map.Entry<String, Shape> e : layout.entrySet()) {
                String name = e.getKey();
                if (weights.containsKey(name)) {
                    continue;                       // split out of a fused tensor already
                }
                FusedProjections fused = fusedByPart.get(name);
                if (fused != null) {
                    String stored = resolve(fused.stored(), basePrefix, byTensor);
                    if (stored == null) {
                        throw new ModelFormatException(weightsDescription(dir, readers) + ": missing tensor "
                                + fused.stored() + " (required by " + config.modelType() + " config)");
                    }
                    SafetensorsReader r = byTensor.get(stored);
                    Shape actual = r.entry(stored).djlShape();
                    Shape expected = fused.storedShape(layout);
                    if (!actual.equals(expected)) {
                        throw new ModelFormatException(r.file() + ": tensor " + stored + " has shape " + actual
                                + ", expected " + expected + " (rows " + String.join(", ", fused.parts()) + ")");
                    }
                    weights.putAll(fused.split(DtypeCast.replaceConstant(r.read(stored, m), weightType), layout));
                    used.add(stored);
                    continue;
                }
                String stored = resolve(name, basePrefix, byTensor);
                if (stored == null) {
                    throw new ModelFormatException(weightsDescription(dir, readers) + ": missing tensor " + name
                            + " (required by " + config.modelType() + " config)");
                }
                SafetensorsReader r = byTensor.get(stored);
                Shape actual = r.entry(stored).djlShape();
                if (!actual.equals(e.getValue())) {
                    throw new ModelFormatException(r.file() + ": tensor " + stored + " has shape " + actual
                            + ", expected " + e.getValue());
                }
                weights.put(name, DtypeCast.replaceConstant(r.read(stored, m), weightType));
                used.add(stored);
            }
            Set<String> unused = new TreeSet<>(byTensor.keySet());
            unused.removeAll(used);
            if (!unused.isEmpty()) {
                LOG.debug("{}: ignoring {} tensors not used by the model, e.g. {}", dir, unused.size(),
                        unused.iterator().next());
            }
            DecoderModel model = new DecoderModel(withStoredDtype(config, dir, byTensor), m, weights);
            LOG.info("loaded {} from {} ({} parameters, {}, device {})", config, dir, model.parameterCount(),
                    weightType, m.getDevice());
            return model;
        } finally {
            readers.forEach(SafetensorsReader::close);
        }
    }


    /**
     * {@code config} declaring the weights' stored dtype when its config.json declares none but the safetensors files
     * hold one floating dtype, so that saving keeps it (see {@link StorageDtype}).
     */
    private static ModelConfig withStoredDtype(ModelConfig config, Path dir, Map<String, SafetensorsReader> byTensor) {
        if (config.sourceJson() == null || StorageDtype.declared(config).isPresent()) {
            return config;
        }
        List<String> dtypes = new ArrayList<>();
        byTensor.forEach((name, r) -> dtypes.add(r.entry(name).dtype()));
        return StorageDtype.commonOf(dtypes)
                .filter(d -> d != StorageDtype.F32)
                .map(d -> ModelConfig.parse(d.declareIn(config.sourceJson()), dir.resolve(CONFIG_FILE).toString()))
                .orElse(config);
    }

    /** Maps each stored tensor name to the reader of the file that holds it. */
    private static Map<String, SafetensorsReader> openWeights(Path dir, List<SafetensorsReader> readers) {
        Path single = dir.resolve(WEIGHTS_FILE);
        Path index = dir.resolve(INDEX_FILE);
        Map<String, SafetensorsReader> byTensor = new HashMap<>();
        if (Files.isRegularFile(single)) {
            SafetensorsReader r = SafetensorsReader.open(single);
            readers.add(r);
            r.entries().keySet().forEach(n -> byTensor.put(n, r));
            return byTensor;
        }
        if (!Files.isRegularFile(index)) {
            throw new ModelFormatException(dir + ": neither " + WEIGHTS_FILE + " nor " + INDEX_FILE + " found");
        }
        JsonNode map;
        try {
            map = JSON.readTree(Files.readString(index)).get("weight_map");
        } catch (IOException e) {
            throw new ModelFormatException(index + ": cannot read (" + e.getMessage() + ")", e);
        }
        if (map == null || !map.isObject()) {
            throw new ModelFormatException(index + ": no weight_map object");
        }
        Map<String, SafetensorsReader> byFile = new HashMap<>();
        map.fields().forEachRemaining(f -> {
            String shard = f.getValue().asText();
            Path shardPath = dir.resolve(shard).normalize();
            if (!shardPath.startsWith(dir.normalize())) {
                throw new ModelFormatException(index + ": shard " + shard + " points outside the model directory");
            }
            SafetensorsReader r = byFile.computeIfAbsent(shard, s -> {
                if (!Files.isRegularFile(shardPath)) {
                    throw new ModelFormatException(index + ": shard file " + shard + " (for tensor " + f.getKey()
                            + ") does not exist");
                }
                SafetensorsReader opened = SafetensorsReader.open(shardPath);
                readers.add(opened);
                return opened;
            });
            if (!r.entries().containsKey(f.getKey())) {
                throw new ModelFormatException(r.file() + ": missing tensor " + f.getKey() + " (listed in " + INDEX_FILE + ")");
            }
            byTensor.put(f.getKey(), r);
        });
        return byTensor;
    }

    /** Stored name for a canonical HF name: as is, or without the head model's prefix ({@link TensorNames#basePrefix}). */
    private static String resolve(String name, String basePrefix, Map<String, SafetensorsReader> stored) {
        if (stored.containsKey(name)) {
            return name;
        }
        if (!basePrefix.isEmpty() && name.startsWith(basePrefix)
                && stored.containsKey(name.substring(basePrefix.length()))) {
            return name.substring(basePrefix.length());
        }
        return null;
    }

    private static String weightsDescription(Path dir, List<SafetensorsReader> readers) {
        return readers.size() == 1 ? readers.get(0).file().toString() : dir.resolve(INDEX_FILE).toString();
    }
}
