package dev.prefstream.trainer.chat;

import ai.djl.Device;
import dev.prefstream.trainer.dpo.ChatTemplate.Message;
import dev.prefstream.trainer.dpo.PairCollator;
import dev.prefstream.trainer.dpo.TextPair;
import dev.prefstream.trainer.dpo.TruncationMode;
import dev.prefstream.trainer.model.HfModelLoader;
import dev.prefstream.trainer.model.LoadedModel;
import dev.prefstream.trainer.tokenizer.HfTokenizer;
import dev.prefstream.trainer.tokenizer.TextTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Instruct model directories: their own template, BOS exactly once, responses ended by the turn's end token. */
class InstructTokenizerTest {

    @TempDir
    Path tmp;

    private static long[] bytes(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        long[] out = new long[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = b[i] & 0xff;
        }
        return out;
    }

    @Test
    void llama3PromptHasOneBosAndResponsesEndWithEotId() {
        Path dir = InstructModels.llama3(tmp.resolve("llama3"), "float32");
        try (LoadedModel lm = HfModelLoader.loadWithTokenizer(dir, Device.cpu())) {
            TextTokenizer tok = lm.tokenizer();
            assertThat(((HfTokenizer) tok).bosPrefix()).containsExactly(InstructModels.LLAMA_BOS); // add_special_tokens adds it
            String prompt = tok.chatFormat().prompt(List.of(new Message("user", "Hi")));
            assertThat(prompt).isEqualTo("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                    + "<|start_header_id|>assistant<|end_header_id|>\n\n");
            long[] ids = tok.encodePrompt(prompt);
            // the template wrote BOS: it is not doubled by the tokenizer's own BOS
            assertThat(ids).startsWith(256, 258).containsSubsequence(bytes("user")).endsWith(259, 10, 10);
            assertThat(java.util.Arrays.stream(ids).filter(i -> i == InstructModels.LLAMA_BOS).count()).isEqualTo(1);
            // a text without BOS gets the one add_special_tokens would add
            assertThat(tok.encodePrompt("Hi")).containsExactly(256, 'H', 'i');
            assertThat(tok.eosId()).isEqualTo(InstructModels.LLAMA_END_OF_TEXT);
            assertThat(tok.responseEndId()).isEqualTo(InstructModels.LLAMA_EOT);

            PairCollator.TokenizedPair tp = new PairCollator(tok, 200, 100, TruncationMode.KEEP_END)
                    .tokenize(TextPair.of(prompt, "Yo", "No"));
            assertThat(tp.prompt()).isEqualTo(ids);
            assertThat(tp.chosen()).containsExactly('Y', 'o', InstructModels.LLAMA_EOT);
            assertThat(tp.rejected()).containsExactly('N', 'o', InstructModels.LLAMA_EOT);
        }
    }

    @Test
    void qwenHasNoBosAndEndsResponsesWithImEnd() {
        Path dir = InstructModels.qwen25(tmp.resolve("qwen"), "float32");
        try (LoadedModel lm = HfModelLoader.loadWithTokenizer(dir, Device.cpu())) {
            TextTokenizer tok = lm.tokenizer();
            assertThat(((HfTokenizer) tok).bosPrefix()).isEmpty();
            String prompt = tok.chatFormat().prompt(List.of(new Message("user", "Hi")));
            long[] ids = tok.encodePrompt(prompt);
            assertThat(ids).startsWith(257).endsWith(257, 'a', 's', 's', 'i', 's', 't', 'a', 'n', 't', 10);
            assertThat(tok.responseEndId()).isEqualTo(InstructModels.QWEN_IM_END);
        }
    }

    @Test
    void addBosTokenTrueInTokenizerConfigAddsBosOnceWithoutAPostProcessor() throws Exception {
        Path dir = InstructModels.qwen25(tmp.resolve("q2"), "float32");
        Path cfg = dir.resolve("tokenizer_config.json");
        Files.writeString(cfg, Files.readString(cfg).replace("\"bos_token\" : null", "\"bos_token\" : \"<|endoftext|>\"")
                .replace("\"add_bos_token\" : false", "\"add_bos_token\" : true"));
        try (LoadedModel lm = HfModelLoader.loadWithTokenizer(dir, Device.cpu())) {
            assertThat(lm.tokenizer().encodePrompt("Hi")).containsExactly(256, 'H', 'i');
            assertThat(lm.tokenizer().encodePrompt("<|endoftext|>Hi")).containsExactly(256, 'H', 'i');
        }
    }
}
