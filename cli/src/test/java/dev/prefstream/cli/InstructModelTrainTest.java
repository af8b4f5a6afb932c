package dev.prefstream.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prefstream.checkpoint.format.CheckpointReader;
import dev.prefstream.checkpoint.format.Sha256;
import dev.prefstream.checkpoint.format.VerifiedCheckpoint;
import dev.prefstream.devstack.testing.KafkaClusterExtension;
import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.JudgementKind;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.serde.AvroSerdes;
import dev.prefstream.trainer.chat.ChatTemplates;
import dev.prefstream.trainer.chat.InstructModels;
import dev.prefstream.trainer.dpo.DpoTrainer;
import dev.prefstream.trainer.model.SafetensorsReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The "done" check: a Qwen2.5-style and a Llama-3-style tiny instruct model directory (random bf16
 * weights written with the project's saver, their real chat templates, a tokenizer with their special tokens)
 * train through {@code prefstream train} with their own templates: the checkpoints record the template they were
 * trained with, keep it in tokenizer_config.json, are bf16 again with torch_dtype kept, and restore. With a
 * {@code --chat-template} that refuses a pair's roles, that pair goes to the dead-letter topic with the reason
 * {@code chat_template} and the template's message, and training goes on.
 */
class InstructModelTrainTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final KafkaClusterExtension kafka = new KafkaClusterExtension();

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

    private static ChatMessage msg(String role, String content) {
        return ChatMessage.newBuilder().setRole(role).setContent(content).build();
    }

    private static PreferencePair pair(String id, List<ChatMessage> prompt, String chosen, String rejected) {
        return PreferencePair.newBuilder().setPairId(id).setPromptId("p-" + id).setPrompt(prompt).setChosen(chosen)
                .setRejected(rejected).setScoreMargin(1.0).setWeight(1.0).setSource(FeedbackSource.HUMAN)
                .setKind(JudgementKind.COMPARISON).setEventIds(List.of("e-" + id))
                .setCreatedAt(Instant.parse("2026-12-01T00:00:00Z")).build();
    }

    /** Four trainable pairs (a system message, a tool result) and, when asked, one with two user turns in a row. */
    private void producePairs(String topic, boolean withBadRoleOrder) {
        List<Map.Entry<String, PreferencePair>> pairs = new ArrayList<>();
        pairs.add(Map.entry("a", pair("a", List.of(msg("system", "Be brief."), msg("user", "2+2?")), "4", "5")));
        if (withBadRoleOrder) {
            pairs.add(Map.entry("bad", pair("bad", List.of(msg("user", "hi"), msg("user", "again")), "yes", "no")));
        }
        pairs.add(Map.entry("b", pair("b", List.of(msg("user", "Capital of France?")), "Paris.", "Rome.")));
        pairs.add(Map.entry("c", pair("c", List.of(msg("user", "Weather?"), msg("assistant", "Checking."), msg("tool", "sunny")), "Sunny.", "Rain.")));
        pairs.add(Map.entry("d", pair("d", List.of(msg("user", "Say hi")), "hi", "bye")));
        kafka.produce(topic, new StringSerializer(), AvroSerdes.specific(PreferencePair.class, kafka.clientConfigWithRegistry(), false).serializer(), pairs);
    }

    private VerifiedCheckpoint train(Path model, String name, String topic, String dlq, String... extra) throws Exception {
        Path config = tmp.resolve(name + ".properties");
        Files.writeString(config, String.join("\n",
                "prefstream.trainer.pairs-per-step=2",
                "prefstream.trainer.max-batch-wait-ms=2000",
                "prefstream.trainer.held-out-fraction=0.0",
                "prefstream.trainer.leader-session-timeout-ms=6000",
                "prefstream.trainer.dead-letter-topic=" + dlq,
                "prefstream.dpo.learning-rate=0.01",
                "prefstream.dpo.max-length=160",
                "prefstream.dpo.max-prompt-length=120",
                ""));
        Path out = tmp.resolve(name);
        List<String> args = new ArrayList<>(List.of("train", "--model", model.toString(), "--model-name", name, "--out", out.toString(),
                "--pairs-topic", topic, "--publish", "none", "--checkpoint-steps", "2", "--max-steps", "2", "--metrics-port", "-1",
                "--bootstrap", kafka.bootstrapServers(), "--registry", kafka.registryUrl(), "--config", config.toString()));
        args.addAll(List.of(extra));
        Run run = cli(args.toArray(String[]::new));
        assertThat(run.exit()).as(run.err()).isZero();
        VerifiedCheckpoint cp = CheckpointReader.newestGood(out).orElseThrow();
        assertThat(cp.step()).isEqualTo(2);
        assertThat(cp.manifest().pairsTrained()).isEqualTo(4);
        return cp;
    }

    private static String sha(String template) {
        return "sha256:" + Sha256.of(template.getBytes(StandardCharsets.UTF_8));
    }

    private static void assertBf16WithTemplate(Path dir, String template) throws Exception {
        assertThat(JSON.readTree(dir.resolve("config.json").toFile()).path("torch_dtype").asText()).isEqualTo("bfloat16");
        assertThat(JSON.readTree(dir.resolve("tokenizer_config.json").toFile()).path("chat_template").asText()).isEqualTo(template);
        try (SafetensorsReader r = SafetensorsReader.open(dir.resolve("model.safetensors"))) {
            assertThat(r.entries().values()).allSatisfy(e -> assertThat(e.dtype()).isEqualTo("BF16"));
        }
        try (DpoTrainer restored = DpoTrainer.restore(dir, ai.djl.Device.cpu(), null)) {
            assertThat(restored.step()).isEqualTo(2);
            assertThat(restored.tokenizer().chatFormat().templateText()).contains(template);
        }
    }

    @Test
    void qwenAndLlama3InstructModelsTrainWithTheirOwnTemplates() throws Exception {
        Path qwen = InstructModels.qwen25(tmp.resolve("qwen-src"), "bfloat16");
        producePairs("pairs-qwen", false);
        VerifiedCheckpoint q = train(qwen, "qwen", "pairs-qwen", "dlq-qwen");
        assertThat(q.manifest().properties()).containsEntry("chat_template", sha(ChatTemplates.qwen25()));
        assertBf16WithTemplate(q.dir(), ChatTemplates.qwen25());

        Path llama = InstructModels.llama3(tmp.resolve("llama-src"), "bfloat16");
        producePairs("pairs-llama", false);
        VerifiedCheckpoint l = train(llama, "llama3", "pairs-llama", "dlq-llama");
        assertThat(l.manifest().properties()).containsEntry("chat_template", sha(ChatTemplates.llama3()));
        assertBf16WithTemplate(l.dir(), ChatTemplates.llama3());
    }

    @Test
    void aPairTheTemplateRefusesIsDeadLetteredWithTheTemplatesMessage() throws Exception {
        Path qwen = InstructModels.qwen25(tmp.resolve("qwen-src"), "bfloat16");
        Path mistral = tmp.resolve("mistral.jinja");
        Files.writeString(mistral, ChatTemplates.mistral());
        // the Mistral-shaped template folds the system message into the user turn and passes the tool result, but
        // refuses two user turns in a row: pair "bad" is dead-lettered, the four others train
        producePairs("pairs-mistral", true);
        VerifiedCheckpoint cp = train(qwen, "qwen-mistral", "pairs-mistral", "dlq-mistral", "--chat-template", mistral.toString());
        assertThat(cp.manifest().properties()).containsEntry("chat_template", sha(ChatTemplates.mistral()));
        assertThat(JSON.readTree(cp.dir().resolve("tokenizer_config.json").toFile()).path("chat_template").asText())
                .isEqualTo(ChatTemplates.mistral());

        List<ConsumerRecord<byte[], byte[]>> dead = kafka.consume("dlq-mistral", 1, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        assertThat(dead).singleElement().satisfies(r -> {
            assertThat(header(r, "prefstream.dlq.reason")).isEqualTo("chat_template");
            assertThat(header(r, "prefstream.dlq.message"))
                    .isEqualTo("pair bad: After the optional system message, conversation roles must alternate user/assistant/user/assistant/...");
            assertThat(header(r, "prefstream.dlq.source.offset")).isEqualTo("1");
        });
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
        var h = r.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
