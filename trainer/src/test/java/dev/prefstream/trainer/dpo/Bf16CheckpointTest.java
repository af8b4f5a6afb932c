package dev.prefstream.trainer.dpo;

import ai.djl.Device;
import dev.prefstream.trainer.chat.InstructModels;
import dev.prefstream.trainer.dpo.ChatTemplate.Message;
import dev.prefstream.trainer.model.HfModelLoader;
import dev.prefstream.trainer.model.LoadedModel;
import dev.prefstream.trainer.model.SafetensorsReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A bf16 instruct model trained with its own chat template: the checkpoint's weights are bf16 again (config.json
 * keeps torch_dtype), tensors the step did not touch keep their exact bytes (embedding rows of tokens absent from
 * the batch), and a restore continues from the exact float32 weights kept in the trainer state.
 */
class Bf16CheckpointTest {

    @TempDir
    Path tmp;

    @Test
    void trainSaveRestoreKeepsBf16OnDiskAndFloat32InTheState() throws Exception {
        Path src = InstructModels.llama3(tmp.resolve("llama3"), "bfloat16");
        TrainerConfig config = TrainerConfig.builder().learningRate(1e-2).pairsPerOptimizerStep(2).gradientAccumulation(1).maxLength(128)
                .maxPromptLength(96).weightDecay(0.0).build();
        Map<String, float[]> trained = new java.util.HashMap<>();
        try (LoadedModel lm = HfModelLoader.loadWithTokenizer(src, Device.cpu());
             DpoTrainer t = DpoTrainer.create(lm.model(), lm.tokenizer(), config)) {
            String prompt = lm.tokenizer().chatFormat().prompt(List.of(new Message("user", "abc")));
            t.trainStep(List.of(TextPair.of(prompt, "ab", "ba"), TextPair.of(prompt, "cab", "bca")));
            t.saveState(tmp.resolve("ckpt"));
            t.policy().parameters().forEach((k, v) -> trained.put(k, v.toFloatArray()));
        }
        Path ckpt = tmp.resolve("ckpt");
        assertThat(Files.readString(ckpt.resolve("config.json"))).contains("\"torch_dtype\" : \"bfloat16\"");
        assertThat(Files.readString(ckpt.resolve("tokenizer_config.json"))).contains("chat_template").contains("<|start_header_id|>");
        assertThat(Files.isRegularFile(ckpt.resolve(DpoTrainer.STATE_DIR).resolve(DpoTrainer.POLICY_FILE))).isTrue();

        // the input embedding rows of ids absent from the batch get no gradient (untied head, no weight decay): their
        // bf16 bytes are exactly the source's; rows of ids in the batch moved
        byte[][] before = rows(src);
        byte[][] after = rows(ckpt);
        List<Integer> moved = new ArrayList<>();
        for (int id = 0; id < before.length; id++) {
            if (!Arrays.equals(before[id], after[id])) {
                moved.add(id);
            }
        }
        assertThat(moved).contains((int) 'a', (int) 'b', InstructModels.LLAMA_BOS, 258, 259)
                .doesNotContain((int) 'z', (int) 'Q', InstructModels.LLAMA_EOT - 3 /* <|end_of_text|> */);
        assertThat(moved.size()).isLessThan(40);
        try (SafetensorsReader r = SafetensorsReader.open(ckpt.resolve(HfModelLoader.WEIGHTS_FILE))) {
            assertThat(r.entries().values()).allSatisfy(e -> assertThat(e.dtype()).isEqualTo("BF16"));
        }
        // restore: the exact float32 weights, not their bf16 rounding
        try (DpoTrainer restored = DpoTrainer.restore(ckpt, Device.cpu(), null)) {
            restored.policy().parameters().forEach((k, v) -> assertThat(v.toFloatArray()).as(k).containsExactly(trained.get(k)));
        }
    }

    /** The embedding matrix's rows as stored bytes. */
    private static byte[][] rows(Path dir) throws Exception {
        try (SafetensorsReader r = SafetensorsReader.open(dir.resolve(HfModelLoader.WEIGHTS_FILE))) {
            SafetensorsReader.Entry e = r.entries().get("model.embed_tokens.weight");
            int vocab = (int) e.shape()[0];
            int rowBytes = (int) ((e.end() - e.begin()) / vocab);
            byte[] all = Files.readAllBytes(dir.resolve(HfModelLoader.WEIGHTS_FILE));
            long headerLen = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            int base = (int) (8 + headerLen + e.begin());
            byte[][] out = new byte[vocab][];
            for (int i = 0; i < vocab; i++) {
                out[i] = Arrays.copyOfRange(all, base + i * rowBytes, base + (i + 1) * rowBytes);
            }
            return out;
        }
    }
}
