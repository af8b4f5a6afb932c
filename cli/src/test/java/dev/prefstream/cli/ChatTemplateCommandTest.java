package dev.prefstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prefstream.trainer.chat.ChatTemplates;
import dev.prefstream.trainer.chat.InstructModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code prefstream chat-template}: the text and ids the trainer uses for a model, with its own template. */
class ChatTemplateCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private record Run(int exit, String out, String err) {
    }

    private static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine c = Main.commandLine();
        c.setOut(new PrintWriter(out, true));
        c.setErr(new PrintWriter(err, true));
        return new Run(c.execute(args), out.toString(), err.toString());
    }

    @Test
    void rendersMessagesWithTheModelsTemplateAndShowsIdsWithOneBos() throws Exception {
        Path llama = InstructModels.llama3(tmp.resolve("llama3"), "bfloat16");
        Path messages = tmp.resolve("m.json");
        Files.writeString(messages, "[{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi\"}]");

        Run text = cli("chat-template", "--model", llama.toString(), "--messages", messages.toString());
        assertThat(text.exit()).as(text.err()).isZero();
        assertThat(text.out()).isEqualTo("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");

        Run noGen = cli("chat-template", "--model", llama.toString(), "--messages", messages.toString(), "--no-generation-prompt");
        assertThat(noGen.out()).endsWith("Hi<|eot_id|>");

        Run ids = cli("chat-template", "--model", llama.toString(), "--messages", messages.toString(), "--ids");
        assertThat(ids.exit()).as(ids.err()).isZero();
        JsonNode o = JSON.readTree(ids.out());
        assertThat(o.get("text").asText()).isEqualTo(text.out());
        assertThat(o.get("ids").get(0).asInt()).isEqualTo(InstructModels.LLAMA_BOS);
        assertThat(o.get("ids").get(1).asInt()).isEqualTo(258);   // <|start_header_id|>: BOS not doubled
    }

    @Test
    void pairsShowPromptAndResponsesEndedByTheTurnEndToken() throws Exception {
        Path qwen = InstructModels.qwen25(tmp.resolve("qwen"), "bfloat16");
        Path pairs = tmp.resolve("p.jsonl");
        Files.writeString(pairs, "{\"prompt\": [{\"role\": \"user\", \"content\": \"2+2?\"}], \"chosen\": \"4\", \"rejected\": \"5\"}\n");
        Run run = cli("chat-template", "--model", qwen.toString(), "--pairs", pairs.toString(), "--ids");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode o = JSON.readTree(run.out().trim());
        assertThat(o.get("prompt").asText()).isEqualTo("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n");
        assertThat(o.get("chosen_ids").toString()).isEqualTo("[52," + InstructModels.QWEN_IM_END + "]");
        assertThat(o.get("rejected_ids").toString()).isEqualTo("[53," + InstructModels.QWEN_IM_END + "]");
        assertThat(o.get("prompt_ids").get(0).asInt()).isEqualTo(257);  // <|im_start|>, no BOS for Qwen
    }

    @Test
    void aTemplateOverrideThatRefusesTheConversationReportsItsMessage() throws Exception {
        Path qwen = InstructModels.qwen25(tmp.resolve("qwen"), "bfloat16");
        Path mistral = tmp.resolve("mistral.jinja");
        Files.writeString(mistral, ChatTemplates.mistral());
        Path messages = tmp.resolve("m.json");
        Files.writeString(messages, "[{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"user\", \"content\": \"b\"}]");
        Run run = cli("chat-template", "--model", qwen.toString(), "--messages", messages.toString(), "--chat-template", mistral.toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("conversation roles must alternate user/assistant/user/assistant/...");

        Files.writeString(messages, "[{\"role\": \"user\", \"content\": \"a\"}]");
        Run ok = cli("chat-template", "--model", qwen.toString(), "--messages", messages.toString(), "--chat-template", mistral.toString());
        assertThat(ok.out()).isEqualTo("[INST] a[/INST]");   // Qwen has no bos_token: undefined renders empty
    }

    @Test
    void aPresetUsesTheBuiltInFormat() throws Exception {
        Path messages = tmp.resolve("m.json");
        Files.writeString(messages, "[{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"tool\", \"content\": \"42\"}]");
        Run run = cli("chat-template", "--model", "tiny", "--messages", messages.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).isEqualTo("<|user|>\nhi\n<|tool|>\n42\n<|assistant|>\n");
    }
}
