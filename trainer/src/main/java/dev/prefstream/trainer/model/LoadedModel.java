package dev.prefstream.trainer.model;

import dev.prefstream.trainer.tokenizer.TextTokenizer;

/** A model with the tokenizer it was trained with; closing closes both. */
public record LoadedModel(DecoderModel model, TextTokenizer tokenizer) implements AutoCloseable {

    @Override
    public void close() {
        try {
            tokenizer.close();
        } finally {
            model.close();
        }
    }
}
