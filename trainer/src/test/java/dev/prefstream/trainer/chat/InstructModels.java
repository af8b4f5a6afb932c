package dev.prefstream.trainer.chat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.model.HfModelSaver;
import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.ModelPresets;
import dev.prefstream.trainer.tokenizer.ByteTokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Tiny instruct model directories in the shape of real ones, for tests: random weights written with the project's
 * own saver (in the dtype asked for, bf16 like the published models), a byte-level BPE tokenizer (256 byte ids)
 * with the model family's special tokens as added tokens, and {@code tokenizer_config.json} with the family's chat
 * template and special tokens.
 * <ul>
 *   <li>{@link #qwen25}: {@code qwen2} architecture, ChatML; {@code <|endoftext|>}=256, {@code <|im_start|>}=257,
 *       {@code <|im_end|>}=258 (EOS in config.json and tokenizer_config.json, as Qwen2.5-Instruct ships); no BOS.</li>
 *   <li>{@link #llama3}: {@code llama} architecture, header tokens; {@code <|begin_of_text|>}=256 (BOS, added by the
 *       tokenizer.json {@code TemplateProcessing} post-processor and written by the template),
 *       {@code <|end_of_text|>}=257 (config.json's first {@code eos_token_id}), {@code <|start_header_id|>}=258,
 *       {@code <|end_header_id|>}=259, {@code <|eot_id|>}=260 (ends assistant turns).</li>
 * </ul>
 */
public final class InstructModels {

    public static final int QWEN_IM_END = 258;
    public static final int LLAMA_BOS = 256;
    public static final int LLAMA_END_OF_TEXT = 257;
    public static final int LLAMA_EOT = 260;

    private static final ObjectMapper JSON = new ObjectMapper();

    private InstructModels() {
    }

    /** A Qwen2.5-Instruct-shaped directory; {@code dtype} is its config.json torch_dtype ({@code bfloat16} ...). */
    public static Path qwen25(Path dir, String dtype) {
        List<String> specials = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");
        String config = """
                {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": 259, "hidden_size": 32,
                 "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
                 "max_position_embeddings": 256, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "hidden_act": "silu",
                 "tie_word_embeddings": true, "bos_token_id": 256, "eos_token_id": 258, "use_sliding_window": false,
                 "sliding_window": 256, "max_window_layers": 2, "torch_dtype": "%s"}""".formatted(dtype);
        ObjectNode tc = JSON.createObjectNode();
        tc.put("tokenizer_class", "Qwen2Tokenizer");
        tc.putNull("bos_token");
        tc.put("eos_token", "<|im_end|>");
        tc.put("pad_token", "<|endoftext|>");
        tc.put("add_bos_token", false);
        tc.put("clean_up_tokenization_spaces", false);
        tc.put("chat_template", ChatTemplates.qwen25());
        return write(dir, config, specials, null, tc, 11);
    }

    /** A Llama-3-Instruct-shaped directory; {@code dtype} is its config.json torch_dtype. */
    public static Path llama3(Path dir, String dtype) {
        List<String> specials = List.of("<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>");
        String config = """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 261, "hidden_size": 32,
                 "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
                 "max_position_embeddings": 256, "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "hidden_act": "silu",
                 "tie_word_embeddings": false, "bos_token_id": 256, "eos_token_id": [257, 260], "torch_dtype": "%s"}""".formatted(dtype);
        ObjectNode tc = JSON.createObjectNode();
        tc.put("tokenizer_class", "PreTrainedTokenizerFast");
        tc.put("bos_token", "<|begin_of_text|>");
        tc.put("eos_token", "<|eot_id|>");
        tc.put("clean_up_tokenization_spaces", true);
        tc.put("chat_template", ChatTemplates.llama3());
        return write(dir, config, specials, "<|begin_of_text|>", tc, 12);
    }

    private static Path write(Path dir, String configJson, List<String> specials, String bosPostProcessor, ObjectNode tokenizerConfig,
                              long seed) {
        ModelConfig config = ModelConfig.parse(configJson, "test config.json");
        try (NDManager m = NDManager.newBaseManager()) {
            DecoderModel model = ModelPresets.initialize(config, m, seed);
            HfModelSaver.save(model, dir, null);
            Files.write(dir.resolve("tokenizer.json"), tokenizerJson(specials, bosPostProcessor));
            Files.write(dir.resolve("tokenizer_config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(tokenizerConfig));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /** The built-in byte-level BPE tokenizer.json with {@code specials} added from id 256 on. */
    static byte[] tokenizerJson(List<String> specials, String bosPostProcessor) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(ByteTokenizer.tokenizerJson());
        ArrayNode added = root.putArray("added_tokens");
        ObjectNode vocab = (ObjectNode) root.path("model").path("vocab");
        vocab.remove(ByteTokenizer.EOS_TOKEN);
        for (int i = 0; i < specials.size(); i++) {
            ObjectNode t = added.addObject();
            t.put("id", 256 + i);
            t.put("content", specials.get(i));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
            vocab.put(specials.get(i), 256 + i);
        }
        if (bosPostProcessor != null) {
            ObjectNode pp = root.putObject("post_processor");
            pp.put("type", "TemplateProcessing");
            ArrayNode single = pp.putArray("single");
            single.addObject().putObject("SpecialToken").put("id", bosPostProcessor).put("type_id", 0);
            single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
            ArrayNode pair = pp.putArray("pair");
            pair.addObject().putObject("SpecialToken").put("id", bosPostProcessor).put("type_id", 0);
            pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
            pair.addObject().putObject("SpecialToken").put("id", bosPostProcessor).put("type_id", 1);
            pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
            ObjectNode st = pp.putObject("special_tokens").putObject(bosPostProcessor);
            st.put("id", bosPostProcessor);
            st.putArray("ids").add(256);
            st.putArray("tokens").add(bosPostProcessor);
        }
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
    }
}
