package dev.prefstream.trainer.tokenizer;

import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.ModelFormatException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;

/** Picks the tokenizer of a model directory. */
public final class Tokenizers {

    private static final Logger log = LoggerFactory.getLogger(Tokenizers.class);

    private Tokenizers() {
    }

    /**
     * The directory's {@code tokenizer.json} (see {@link #directoryFor}); the EOS id comes from {@code config.json}'s
     * {@code eos_token_id} (or {@code tokenizer_config.json}'s {@code eos_token}).
     */
    public static TextTokenizer load(Path dir, ModelConfig config) {
        return HfTokenizer.load(directoryFor(dir), config.eosTokenId());
    }

    /**
     * Where the tokenizer of model directory {@code dir} is: {@code dir} itself, else its parent, with a WARN (the
     * layout of weights-only {@code policy/} and {@code reference/} directories beside one shared
     * {@code tokenizer.json}, as transformers fixtures are often kept).
     *
     * @throws ModelFormatException when neither holds a tokenizer.json
     */
    public static Path directoryFor(Path dir) {
        return directoryFor(dir, log::warn);
    }

    /**
     * {@link #directoryFor(Path)}, telling {@code notice} instead of the log when it falls back to the parent (a
     * command that says so on its own stderr would otherwise say it twice).
     */
    public static Path directoryFor(Path dir, java.util.function.Consumer<String> notice) {
        if (Files.isRegularFile(dir.resolve(HfTokenizer.TOKENIZER_FILE))) {
            return dir;
        }
        Path parent = dir.toAbsolutePath().normalize().getParent();
        if (parent != null && Files.isRegularFile(parent.resolve(HfTokenizer.TOKENIZER_FILE))) {
            notice.accept(dir + " has no " + HfTokenizer.TOKENIZER_FILE + "; using " + parent.resolve(HfTokenizer.TOKENIZER_FILE));
            return parent;
        }
        throw new ModelFormatException(dir + ": no " + HfTokenizer.TOKENIZER_FILE + " here or in the parent directory");
    }
}
