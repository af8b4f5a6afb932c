package dev.prefstream.trainer.lora;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.prefstream.checkpoint.format.DurableFiles;
import dev.prefstream.checkpoint.lora.BaseReference;
import dev.prefstream.checkpoint.lora.LoraCheckpointFiles;
import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.model.HfModelLoader;
import dev.prefstream.trainer.model.HfModelSaver;
import dev.prefstream.trainer.model.LoadedModel;
import dev.prefstream.trainer.tokenizer.TextTokenizer;
import dev.prefstream.trainer.tokenizer.Tokenizers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * Loading LoRA checkpoints outside the trainer (publisher, serving, export): the model they define and
 * {@code prefstream export}'s two outputs. Which base a checkpoint needs is read without a model by
 * {@link LoraCheckpointFiles} (checkpoint module).
 */
public final class LoraCheckpoints {

    /** Files a clean PEFT adapter directory gets from a checkpoint (the tokenizer files when present). */
    private static final List<String> ADAPTER_FILES = List.of(PeftAdapterFiles.CONFIG_FILE, PeftAdapterFiles.WEIGHTS_FILE,
            "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json");

    private LoraCheckpoints() {
    }

    /**
     * The model a LoRA checkpoint defines: its verified base with the adapters attached (on), and the
     * checkpoint's tokenizer (else the base's). Close it to free both.
     */
    public static LoadedModel load(Path dir, Device device, DataType weightType) {
        BaseReference base = LoraCheckpointFiles.baseOf(dir).verify();
        DecoderModel model = HfModelLoader.load(base.dir(), device, weightType);
        try {
            attach(model, dir);
            Path tokDir = Files.isRegularFile(dir.resolve("tokenizer.json")) ? dir : base.dir();
            TextTokenizer tok = Tokenizers.load(tokDir, model.config());
            return new LoadedModel(model, tok);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * Any checkpoint directory as a model: a LoRA checkpoint through {@link #load} (base + adapters, float32), a full
     * one through {@link HfModelLoader#loadWithTokenizer(Path, Device)}.
     */
    public static LoadedModel loadCheckpoint(Path dir, Device device) {
        return LoraCheckpointFiles.isLora(dir) ? load(dir, device, DataType.FLOAT32) : HfModelLoader.loadWithTokenizer(dir, device);
    }

    /**
     * Attaches the adapters of {@code dir} to {@code model} (whose weights must be the adapters' base): its forward
     * pass then computes the candidate; {@code model.adapters().setEnabled(false)} gives the base back.
     */
    public static LoraAdapters attach(DecoderModel model, Path dir) {
        LoraConfig config = PeftAdapterFiles.readConfig(dir);
        List<LoraTarget> targets = LoraTarget.resolve(model.config(), config.targetsFor(model.config()));
        model.setTrainable(false);
        LoraAdapters adapters = new LoraAdapters(config, targets, model.parameters(), 0, model.manager().newSubManager());
        try {
            PeftAdapterFiles.load(dir, adapters);
        } catch (RuntimeException e) {
            adapters.close();
            throw e;
        }
        model.attachAdapters(adapters);
        return adapters;
    }

    /**
     * {@code prefstream export}: writes {@code out} (which must not exist) atomically. Without {@code merge}: a clean
     * PEFT adapter directory (adapter_config.json, adapter_model.safetensors, tokenizer files; no trainer state).
     * With {@code merge}: a full Hugging Face model directory whose weights are the base's with
     * {@code (alpha/r) B A} folded in.
     */
    public static void export(Path checkpoint, Path out, boolean merge, Device device) {
        if (!LoraCheckpointFiles.isLora(checkpoint)) {
            throw new IllegalArgumentException(checkpoint + " is not a LoRA checkpoint (no " + PeftAdapterFiles.CONFIG_FILE
                    + "); a full checkpoint already is a Hugging Face model directory");
        }
        if (Files.exists(out)) {
            throw new IllegalArgumentException(out + " exists; export writes a new directory");
        }
        Path abs = out.toAbsolutePath().normalize();
        Path tmp = abs.resolveSibling(".tmp-export-" + UUID.randomUUID().toString().substring(0, 8));
        try {
            if (merge) {
                try (LoadedModel m = load(checkpoint, device, DataType.FLOAT32)) {
                    DecoderModel model = m.model();
                    LoraAdapters adapters = model.adapters();
                    adapters.mergeIntoBase(1);   // in memory only: the base on disk is untouched
                    model.attachAdapters(null);
                    adapters.close();
                    HfModelSaver.save(model, tmp, m.tokenizer());
                }
            } else {
                Files.createDirectories(tmp);
                for (String f : ADAPTER_FILES) {
                    if (Files.isRegularFile(checkpoint.resolve(f))) {
                        Files.copy(checkpoint.resolve(f), tmp.resolve(f));
                    }
                }
            }
            DurableFiles.fsyncTree(tmp);
            DurableFiles.atomicMove(tmp, abs);
            DurableFiles.fsyncDirectory(abs.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot export " + checkpoint + " to " + out, e);
        } finally {
            try {
                if (Files.exists(tmp)) {
                    DurableFiles.deleteTree(tmp);
                }
            } catch (IOException ignored) {
                // best effort: a leftover .tmp-export- directory is harmless
            }
        }
    }
}
