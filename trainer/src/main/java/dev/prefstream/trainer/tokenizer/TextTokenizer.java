package dev.prefstream.trainer.tokenizer;

import java.nio.file.Path;

/**
 * Text to token ids and back, exactly as the model was trained. {@link #encode} never adds special tokens (no BOS,
 * no EOS) and never truncates or pads: collation decides where EOS and padding go.
 */
public interface TextTokenizer extends AutoCloseable {

    /** Token ids of {@code text}, without special tokens. */
    long[] encode(String text);

    /** Text of {@code ids}; special tokens (EOS, padding) are dropped. */
    String decode(long[] ids);

    /** The end-of-sequence id appended after every response. */
    long eosId();

    /** Number of ids this tokenizer can produce (at most the model's vocab_size). */
    int vocabSize();

    /** Writes {@code tokenizer.json} (and {@code tokenizer_config.json}) into {@code dir} so that HF tools load it. */
    void save(Path dir);

    @Override
    void close();
}
