package dev.prefstream.trainer.tokenizer;

import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.ModelFormatException;

import java.nio.file.Files;
import java.nio.file.Path;

/** Picks the tokenizer of a model directory. */
public final class Tokenizers {

    private Tokenizers() {
    }

    /**
     * The directory's {@code tokenizer.json}; the EOS id comes from {@code config.json}'s {@code eos_token_id}
     * (or {@code tokenizer_config.json}'s {@code eos_token}).
     */
    public static TextTokenizer load(Path dir, ModelConfig config) {
        Path file = dir.resolve(HfTokenizer.TOKENIZER_FILE);
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(dir + ": no " + HfTokenizer.TOKENIZER_FILE + " found");
        }
        return HfTokenizer.load(dir, config.eosTokenId());
    }
}
