package dev.prefstream.trainer.tokenizer;

import dev.prefstream.trainer.chat.ChatFormat;

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

    /**
     * How conversations become prompt text for this model: its chat template with its special tokens, or the
     * built-in format (the default).
     */
    default ChatFormat chatFormat() {
        return ChatFormat.builtin();
    }

    /**
     * Token ids of a rendered prompt: {@link #encode} plus the BOS that the tokenizer's {@code add_special_tokens}
     * puts first, unless the text already starts with it (a chat template that writes {@code bos_token} itself):
     * the prompt starts with exactly one BOS when the model uses one, never two (TRL's DPO tokenization rule). The
     * default adds nothing (the built-in tokenizer has no BOS).
     */
    default long[] encodePrompt(String text) {
        return encode(text);
    }

    /**
     * The id that follows every response: the chat template's end-of-turn token when it closes assistant turns with
     * one that is in the vocabulary (see {@link ChatFormat#endOfTurnToken()}), else {@link #eosId()}.
     */
    default long responseEndId() {
        return eosId();
    }

    /**
     * This tokenizer rendering conversations with {@code template} instead of its own chat template
     * ({@code --chat-template FILE}); {@link #save} writes it as the {@code chat_template} of
     * {@code tokenizer_config.json}, so a checkpoint is served with the template it was trained with. The returned
     * tokenizer is independent: closing one does not close the other.
     */
    default TextTokenizer withChatTemplate(String template, String origin) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot take a chat template");
    }

    /** Number of ids this tokenizer can produce (at most the model's vocab_size). */
    int vocabSize();

    /** Writes {@code tokenizer.json} (and {@code tokenizer_config.json}) into {@code dir} so that HF tools load it. */
    void save(Path dir);

    @Override
    void close();
}
