package dev.prefstream.trainer.lora;

import dev.prefstream.checkpoint.format.DurableFiles;
import dev.prefstream.checkpoint.lora.BaseReference;
import dev.prefstream.trainer.model.CausalLM;
import dev.prefstream.trainer.model.HfModelSaver;
import dev.prefstream.trainer.tokenizer.TextTokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Writes the frozen base of a LoRA run as a Hugging Face directory that a {@link BaseReference} then points at. It
 * lives here, not next to {@link BaseReference} in the checkpoint module, because saving a model needs the model
 * (DJL); reading and verifying a reference does not.
 */
public final class BaseStore {

    private static final Logger LOG = LoggerFactory.getLogger(BaseStore.class);

    private BaseStore() {
    }

    /**
     * Writes {@code model} (the frozen base, e.g. after a REFRESH merge, or a built-in preset) once as a full Hugging
     * Face directory under {@code storeRoot}, named by its hash, atomically (temporary directory, fsync, rename), and
     * references it. A base with the same hash already there is reused.
     */
    public static BaseReference store(CausalLM model, TextTokenizer tokenizer, Path storeRoot) {
        try {
            Files.createDirectories(storeRoot);
            Path tmp = storeRoot.resolve(".tmp-" + UUID.randomUUID().toString().substring(0, 8));
            HfModelSaver.save(model, tmp, tokenizer);
            String hash = BaseReference.hashOf(tmp);
            Path target = storeRoot.resolve("base-" + hash.substring(0, 16)).toAbsolutePath().normalize();
            if (Files.isDirectory(target) && BaseReference.hashOf(target).equals(hash)) {
                DurableFiles.deleteTree(tmp);
            } else {
                if (Files.exists(target)) {
                    DurableFiles.deleteTree(target);
                }
                DurableFiles.fsyncTree(tmp);
                DurableFiles.atomicMove(tmp, target);
                DurableFiles.fsyncDirectory(storeRoot);
                LOG.info("wrote LoRA base model {} (sha256 {})", target, hash);
            }
            return new BaseReference(target.toString(), hash);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store base model under " + storeRoot, e);
        }
    }

}
