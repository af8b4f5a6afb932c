package dev.prefstream.trainer.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.chat.ChatFormat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The built-in tokenizer: one id per UTF-8 byte (0..255) plus {@code <|endoftext|>} = 256 as EOS (also used as
 * padding). Needs no file. {@link #save} writes an equivalent byte-level BPE {@code tokenizer.json} (GPT-2's
 * byte-to-unicode alphabet, no merges) that HF tokenizers load and that encodes to the same ids.
 */
public final class ByteTokenizer implements TextTokenizer {

    /** The end-of-sequence id. */
    public static final int EOS_ID = 256;
    /** Vocabulary size: 256 bytes + EOS. */
    public static final int VOCAB_SIZE = 257;
    /** The EOS token's text. */
    public static final String EOS_TOKEN = "<|endoftext|>";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ChatFormat chatFormat;

    /** The byte tokenizer with the built-in chat format. */
    public ByteTokenizer() {
        this(ChatFormat.builtin());
    }

    private ByteTokenizer(ChatFormat chatFormat) {
        this.chatFormat = chatFormat;
    }

    @Override
    public ChatFormat chatFormat() {
        return chatFormat;
    }

    /** The byte tokenizer rendering with {@code template}; it has no special tokens but EOS ({@code eos_token}). */
    @Override
    public ByteTokenizer withChatTemplate(String template, String origin) {
        return new ByteTokenizer(ChatFormat.jinja(template, java.util.Map.of("eos_token", EOS_TOKEN), origin));
    }

    @Override
    public long[] encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        long[] ids = new long[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = bytes[i] & 0xff;
        }
        return ids;
    }

    @Override
    public String decode(long[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length);
        for (long id : ids) {
            if (id >= 0 && id < 256) {
                out.write((int) id);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public long eosId() {
        return EOS_ID;
    }

    @Override
    public int vocabSize() {
        return VOCAB_SIZE;
    }

    @Override
    public void save(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve(HfTokenizer.TOKENIZER_FILE), tokenizerJson());
            ObjectNode config = JSON.createObjectNode();
            config.put("tokenizer_class", "PreTrainedTokenizerFast");
            config.put("eos_token", EOS_TOKEN);
            config.put("pad_token", EOS_TOKEN);
            config.put("clean_up_tokenization_spaces", false);
            chatFormat.templateText().ifPresent(t -> config.put("chat_template", t));
            Files.write(dir.resolve(HfTokenizer.TOKENIZER_CONFIG_FILE),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write tokenizer to " + dir, e);
        }
    }

    /** tokenizer.json text: ByteLevel pre-tokenizer and decoder, BPE over the 256 byte symbols with no merges. */
    public static byte[] tokenizerJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        ObjectNode eos = added.addObject();
        eos.put("id", EOS_ID);
        eos.put("content", EOS_TOKEN);
        eos.put("single_word", false);
        eos.put("lstrip", false);
        eos.put("rstrip", false);
        eos.put("normalized", false);
        eos.put("special", true);
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "ByteLevel");
        pre.put("add_prefix_space", false);
        pre.put("trim_offsets", true);
        pre.put("use_regex", true);
        root.putNull("post_processor");
        ObjectNode dec = root.putObject("decoder");
        dec.put("type", "ByteLevel");
        dec.put("add_prefix_space", false);
        dec.put("trim_offsets", true);
        dec.put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        char[] alphabet = byteAlphabet();
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(alphabet[b]), b);
        }
        vocab.put(EOS_TOKEN, EOS_ID);
        model.putArray("merges");
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to 256 + n in order. */
    static char[] byteAlphabet() {
        char[] map = new char[256];
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char) b : (char) (256 + n++);
        }
        return map;
    }

    @Override
    public void close() {
        // nothing native
    }
}
