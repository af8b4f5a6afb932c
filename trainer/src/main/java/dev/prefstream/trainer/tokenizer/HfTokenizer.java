package dev.prefstream.trainer.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.chat.ChatFormat;
import dev.prefstream.trainer.model.ModelFormatException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} run by DJL's binding of the Rust tokenizers library, configured to add no
 * special tokens and never truncate or pad, offline. The original file is kept byte for byte so that saving a
 * checkpoint republishes exactly the tokenizer it was loaded with.
 *
 * <p>It also carries what transformers keeps on a tokenizer for chat: the {@code chat_template} and special tokens
 * of {@code tokenizer_config.json} ({@link #chatFormat()}), the BOS its {@code add_special_tokens} would add
 * ({@link #encodePrompt}: observed by encoding a probe text both ways, so a {@code TemplateProcessing}
 * post-processor counts; an explicit {@code add_bos_token} in tokenizer_config.json wins, as in transformers'
 * Llama/Gemma tokenizers), and the end-of-turn id that ends responses ({@link #responseEndId()}).
 */
public final class HfTokenizer implements TextTokenizer {

    /** File name in a model directory. */
    public static final String TOKENIZER_FILE = "tokenizer.json";
    /** Companion file transformers' AutoTokenizer reads. */
    public static final String TOKENIZER_CONFIG_FILE = "tokenizer_config.json";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger log = LoggerFactory.getLogger(HfTokenizer.class);
    private static final String BOS_PROBE = "a";

    private final HuggingFaceTokenizer tokenizer;
    private final byte[] tokenizerJson;
    private final byte[] tokenizerConfigJson;
    private final Integer configuredEosId;
    private final String source;
    private final long eosId;
    private final String eosToken;
    private final int vocabSize;
    private final Vocabulary vocab;
    private final ChatFormat chatFormat;
    private final long[] bosPrefix;
    private volatile Long responseEnd;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, byte[] tokenizerJson, byte[] tokenizerConfigJson,
                        Integer configuredEosId, String source, long eosId, String eosToken, Vocabulary vocab,
                        ChatFormat chatFormat, long[] bosPrefix) {
        this.tokenizer = tokenizer;
        this.tokenizerJson = tokenizerJson;
        this.tokenizerConfigJson = tokenizerConfigJson;
        this.configuredEosId = configuredEosId;
        this.source = source;
        this.eosId = eosId;
        this.eosToken = eosToken;
        this.vocab = vocab;
        this.vocabSize = vocab.size();
        this.chatFormat = chatFormat;
        this.bosPrefix = bosPrefix;
    }

    /**
     * Loads {@code dir/tokenizer.json}.
     *
     * @param eosId the model's eos_token_id, or null to take it from tokenizer_config.json / the special tokens
     */
    public static HfTokenizer load(Path dir, Integer eosId) {
        Path file = dir.resolve(TOKENIZER_FILE);
        Path configFile = dir.resolve(TOKENIZER_CONFIG_FILE);
        try {
            byte[] json = Files.readAllBytes(file);
            byte[] config = Files.isRegularFile(configFile) ? Files.readAllBytes(configFile) : null;
            return fromBytes(json, config, eosId, file.toString());
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /** Builds from the bytes of tokenizer.json (and optionally tokenizer_config.json); {@code source} names errors. */
    public static HfTokenizer fromBytes(byte[] tokenizerJson, byte[] tokenizerConfigJson, Integer eosId, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(tokenizerJson);
        } catch (IOException e) {
            throw new ModelFormatException(source + ": not valid JSON (" + e.getMessage() + ")", e);
        }
        Vocabulary vocab = Vocabulary.of(root, source);
        String eosToken = null;
        String configSource = source.replace(TOKENIZER_FILE, TOKENIZER_CONFIG_FILE);
        JsonNode configRoot = null;
        if (tokenizerConfigJson != null) {
            try {
                configRoot = JSON.readTree(tokenizerConfigJson);
            } catch (IOException e) {
                throw new ModelFormatException(configSource + ": not valid JSON (" + e.getMessage() + ")", e);
            }
            JsonNode eosNode = configRoot.get("eos_token");
            if (eosNode != null) {
                eosToken = eosNode.isObject() ? eosNode.path("content").asText(null) : eosNode.asText(null);
            }
        }
        long eos;
        if (eosId != null) {
            eos = eosId;
            eosToken = vocab.tokenOf(eosId);
        } else {
            if (eosToken == null) {
                eosToken = vocab.firstSpecial();
            }
            Integer id = eosToken == null ? null : vocab.idOf(eosToken);
            if (id == null) {
                throw new ModelFormatException(source + ": cannot tell the EOS token (no eos_token_id in config.json, "
                        + "no eos_token in tokenizer_config.json, no special added token)");
            }
            eos = id;
        }
        ChatFormat format = ChatFormat.fromTokenizerConfig(configRoot, eosToken, configSource);
        HuggingFaceTokenizer tok;
        try {
            tok = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson),
                    Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException(source + ": the tokenizers library rejects it (" + e.getMessage() + ")", e);
        }
        long[] bos;
        try {
            bos = bosPrefix(tok, configRoot, vocab);
        } catch (RuntimeException e) {
            tok.close();
            throw e;
        }
        return new HfTokenizer(tok, tokenizerJson, tokenizerConfigJson, eosId, source, eos, eosToken, vocab, format, bos);
    }

    /**
     * The ids {@code add_special_tokens=True} puts before a text: an explicit {@code add_bos_token} of
     * tokenizer_config.json decides ({@code false}: none; {@code true}: the {@code bos_token}), else what the
     * tokenizer.json post-processor adds before a probe text.
     */
    private static long[] bosPrefix(HuggingFaceTokenizer tok, JsonNode config, Vocabulary vocab) {
        JsonNode add = config == null ? null : config.get("add_bos_token");
        if (add != null && add.isBoolean() && !add.asBoolean()) {
            return new long[0];
        }
        long[] with = tok.encode(BOS_PROBE, true, false).getIds();
        long[] without = tok.encode(BOS_PROBE, false, false).getIds();
        long[] prefix = new long[0];
        for (int k = 0; k + without.length <= with.length; k++) {
            if (Arrays.equals(with, k, k + without.length, without, 0, without.length)) {
                prefix = Arrays.copyOf(with, k);
                break;
            }
        }
        if (prefix.length == 0 && add != null && add.asBoolean()) {
            JsonNode b = config.get("bos_token");
            String text = b == null || b.isNull() ? null : b.isObject() ? b.path("content").asText(null) : b.asText(null);
            Integer id = text == null ? null : vocab.idOf(text);
            if (id != null) {
                prefix = new long[] {id};
            }
        }
        return prefix;
    }

    @Override
    public ChatFormat chatFormat() {
        return chatFormat;
    }

    @Override
    public long[] encodePrompt(String text) {
        long[] ids = encode(text);
        if (bosPrefix.length == 0 || (ids.length >= bosPrefix.length
                && Arrays.equals(ids, 0, bosPrefix.length, bosPrefix, 0, bosPrefix.length))) {
            return ids;
        }
        long[] out = new long[bosPrefix.length + ids.length];
        System.arraycopy(bosPrefix, 0, out, 0, bosPrefix.length);
        System.arraycopy(ids, 0, out, bosPrefix.length, ids.length);
        return out;
    }

    /** The BOS ids {@link #encodePrompt} makes sure a prompt starts with (empty when the tokenizer adds none). */
    public long[] bosPrefix() {
        return bosPrefix.clone();
    }

    @Override
    public long responseEndId() {
        Long id = responseEnd;
        if (id == null) {
            id = eosId;
            java.util.Optional<String> end = chatFormat.endOfTurnToken();
            if (end.isPresent()) {
                Integer turnEnd = vocab.idOf(end.get());
                if (turnEnd != null) {
                    id = turnEnd.longValue();
                } else {
                    log.warn("{}: the chat template ends assistant turns with '{}', which is not one token of the vocabulary; "
                            + "responses end with EOS '{}' instead", source, end.get(), eosToken);
                }
            }
            responseEnd = id;
        }
        return id;
    }

    /**
     * A new tokenizer (its own native handle) identical to this one but for its chat template, which is
     * {@code template}; saved as the {@code chat_template} of its tokenizer_config.json.
     */
    @Override
    public HfTokenizer withChatTemplate(String template, String origin) {
        ObjectNode config;
        try {
            config = tokenizerConfigJson == null ? JSON.createObjectNode() : (ObjectNode) JSON.readTree(tokenizerConfigJson);
        } catch (IOException | ClassCastException e) {
            throw new ModelFormatException(source + ": tokenizer_config.json is not a JSON object", e);
        }
        if (tokenizerConfigJson == null) {
            config.put("tokenizer_class", "PreTrainedTokenizerFast");
            if (eosToken != null) {
                config.put("eos_token", eosToken);
            }
            config.put("clean_up_tokenization_spaces", false);
        }
        config.put("chat_template", template);
        byte[] bytes;
        try {
            bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        HfTokenizer t = fromBytes(tokenizerJson, bytes, configuredEosId, source);
        log.info("{}: chat template from {}", source, origin);
        return t;
    }

    @Override
    public long[] encode(String text) {
        return tokenizer.encode(text, false, false).getIds();
    }

    @Override
    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    @Override
    public long eosId() {
        return eosId;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public void save(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve(TOKENIZER_FILE), tokenizerJson);
            byte[] config = tokenizerConfigJson;
            if (config == null) {
                ObjectNode o = JSON.createObjectNode();
                o.put("tokenizer_class", "PreTrainedTokenizerFast");
                if (eosToken != null) {
                    o.put("eos_token", eosToken);
                }
                o.put("clean_up_tokenization_spaces", false);
                config = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o);
            }
            Files.write(dir.resolve(TOKENIZER_CONFIG_FILE), config);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write tokenizer to " + dir, e);
        }
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
