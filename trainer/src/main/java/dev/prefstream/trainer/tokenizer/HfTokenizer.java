package dev.prefstream.trainer.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.ModelFormatException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} run by DJL's binding of the Rust tokenizers library, configured to add no
 * special tokens and never truncate or pad, offline. The original file is kept byte for byte so that saving a
 * checkpoint republishes exactly the tokenizer it was loaded with.
 */
public final class HfTokenizer implements TextTokenizer {

    /** File name in a model directory. */
    public static final String TOKENIZER_FILE = "tokenizer.json";
    /** Companion file transformers' AutoTokenizer reads. */
    public static final String TOKENIZER_CONFIG_FILE = "tokenizer_config.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HuggingFaceTokenizer tokenizer;
    private final byte[] tokenizerJson;
    private final byte[] tokenizerConfigJson;
    private final long eosId;
    private final String eosToken;
    private final int vocabSize;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, byte[] tokenizerJson, byte[] tokenizerConfigJson,
                        long eosId, String eosToken, int vocabSize) {
        this.tokenizer = tokenizer;
        this.tokenizerJson = tokenizerJson;
        this.tokenizerConfigJson = tokenizerConfigJson;
        this.eosId = eosId;
        this.eosToken = eosToken;
        this.vocabSize = vocabSize;
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
        if (tokenizerConfigJson != null) {
            try {
                JsonNode eosNode = JSON.readTree(tokenizerConfigJson).get("eos_token");
                if (eosNode != null) {
                    eosToken = eosNode.isObject() ? eosNode.path("content").asText(null) : eosNode.asText(null);
                }
            } catch (IOException e) {
                throw new ModelFormatException(source.replace(TOKENIZER_FILE, TOKENIZER_CONFIG_FILE)
                        + ": not valid JSON (" + e.getMessage() + ")", e);
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
        HuggingFaceTokenizer tok;
        try {
            tok = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson),
                    Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException(source + ": the tokenizers library rejects it (" + e.getMessage() + ")", e);
        }
        return new HfTokenizer(tok, tokenizerJson, tokenizerConfigJson, eos, eosToken, vocab.size());
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
