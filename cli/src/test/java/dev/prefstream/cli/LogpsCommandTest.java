package dev.prefstream.cli;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prefstream.trainer.dpo.ChatTemplate;
import dev.prefstream.trainer.model.HfModelSaver;
import dev.prefstream.trainer.model.LoadedModel;
import dev.prefstream.trainer.model.ModelPresets;
import dev.prefstream.trainer.model.PairLogProbScorer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@code prefstream logps} against the library scorer (itself checked against HF transformers in trainer's tests). */
class LogpsCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    static Path policyDir;
    static Path referenceDir;

    @BeforeAll
    static void saveTwoModels() {
        policyDir = tmp.resolve("policy");
        referenceDir = tmp.resolve("reference");
        try (LoadedModel p = ModelPresets.builtin(ModelPresets.TINY_GPT2, Device.cpu(), 1);
             LoadedModel r = ModelPresets.builtin(ModelPresets.TINY_GPT2, Device.cpu(), 2)) {
            HfModelSaver.save(p.model(), policyDir, p.tokenizer());
            HfModelSaver.save(r.model(), referenceDir, r.tokenizer());
        }
    }

    private record Run(int exit, String out, String err) {
        List<JsonNode> lines() throws Exception {
            List<JsonNode> nodes = new java.util.ArrayList<>();
            for (String l : out.split("\n")) {
                if (!l.isBlank()) {
                    nodes.add(JSON.readTree(l));
                }
            }
            return nodes;
        }
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void printsPolicyAndReferenceLogpsAndTheSigmoidLossPerLine() throws Exception {
        Path pairs = tmp.resolve("pairs.jsonl");
        Files.writeString(pairs, """
                {"prompt": "What is 2+2?", "chosen": " 4.", "rejected": " 5, probably."}
                {"prompt": [{"role": "user", "content": "Say hi"}], "chosen": [{"role": "assistant", "content": "Hi!"}], "rejected": [{"role": "assistant", "content": "No."}]}
                """);
        Run run = run("logps", "--model", policyDir.toString(), "--pairs", pairs.toString(),
                "--reference", referenceDir.toString(), "--beta", "0.5");
        assertThat(run.err()).isEmpty();
        assertThat(run.exit()).isZero();
        List<JsonNode> lines = run.lines();
        assertThat(lines).hasSize(2);

        String chatPrompt = ChatTemplate.render(List.of(new ChatTemplate.Message("user", "Say hi")));
        String[][] texts = {{"What is 2+2?", " 4.", " 5, probably."}, {chatPrompt, "Hi!", "No."}};
        try (LoadedModel p = ModelPresets.builtin(ModelPresets.TINY_GPT2, Device.cpu(), 1);
             LoadedModel r = ModelPresets.builtin(ModelPresets.TINY_GPT2, Device.cpu(), 2)) {
            for (int i = 0; i < 2; i++) {
                PairLogProbScorer.Scores ps = new PairLogProbScorer(p.model(), p.tokenizer()).score(texts[i][0], texts[i][1], texts[i][2]);
                PairLogProbScorer.Scores rs = new PairLogProbScorer(r.model(), r.tokenizer()).score(texts[i][0], texts[i][1], texts[i][2]);
                JsonNode l = lines.get(i);
                assertThat(l.get("line").asInt()).isEqualTo(i + 1);
                assertThat(l.get("policy_chosen_logp").asDouble()).isCloseTo(ps.chosen(), within(1e-5));
                assertThat(l.get("policy_rejected_logp").asDouble()).isCloseTo(ps.rejected(), within(1e-5));
                assertThat(l.get("reference_chosen_logp").asDouble()).isCloseTo(rs.chosen(), within(1e-5));
                assertThat(l.get("reference_rejected_logp").asDouble()).isCloseTo(rs.rejected(), within(1e-5));
                double margin = 0.5 * ((ps.chosen() - rs.chosen()) - (ps.rejected() - rs.rejected()));
                assertThat(l.get("loss").asDouble()).isCloseTo(-Math.log(1 / (1 + Math.exp(-margin))), within(1e-6));
                // byte tokenizer: one id per byte, plus EOS
                assertThat(l.get("chosen_tokens").asInt()).isEqualTo(texts[i][1].getBytes().length + 1);
            }
        }
    }

    @Test
    void withoutReferenceOnlyPolicyLogpsArePrinted() throws Exception {
        Path pairs = tmp.resolve("one.jsonl");
        Files.writeString(pairs, "{\"prompt\": \"Hello\", \"chosen\": \" there\", \"rejected\": \" you\"}\n");
        Run run = run("logps", "--model", policyDir.toString(), "--pairs", pairs.toString());
        assertThat(run.exit()).isZero();
        JsonNode l = run.lines().get(0);
        assertThat(l.has("policy_chosen_logp")).isTrue();
        assertThat(l.get("policy_chosen_logp").asDouble()).isNegative();
        assertThat(l.has("reference_chosen_logp")).isFalse();
        assertThat(l.has("loss")).isFalse();
    }

    @Test
    void implicitPromptConversationsUseTheSharedLeadingMessages() {
        String[] parsed = parseOk("{\"chosen\": [{\"role\": \"user\", \"content\": \"Q\"}, {\"role\": \"assistant\", \"content\": \"good\"}],"
                + " \"rejected\": [{\"role\": \"user\", \"content\": \"Q\"}, {\"role\": \"assistant\", \"content\": \"bad\"}]}");
        assertThat(parsed).containsExactly("<|user|>\nQ\n<|assistant|>\n", "good", "bad");
    }

    @Test
    void badLinesAreReportedWithTheirNumberAndTheRestStillRuns() throws Exception {
        Path pairs = tmp.resolve("bad.jsonl");
        Files.writeString(pairs, String.join("\n",
                "{\"prompt\": \"Hi\", \"chosen\": \" a\", \"rejected\": \" b\"}",
                "{\"prompt\": \"Hi\", \"chosen\": \" a\"}",
                "not json",
                "",
                "{\"prompt\": [{\"role\": \"robot\", \"content\": \"x\"}], \"chosen\": \"a\", \"rejected\": \"b\"}",
                "{\"prompt\": \"" + "x".repeat(600) + "\", \"chosen\": \" a\", \"rejected\": \" b\"}",
                "{\"prompt\": \"Bye\", \"chosen\": \" c\", \"rejected\": \" d\"}") + "\n");
        Run run = run("logps", "--model", policyDir.toString(), "--pairs", pairs.toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.lines()).extracting(n -> n.get("line").asInt()).containsExactly(1, 7);
        assertThat(run.err())
                .contains("line 2: missing \"rejected\"")
                .contains("line 3: not valid JSON")
                .contains("line 5: unknown chat role 'robot'")
                .contains("line 6: prompt + response is 603 tokens, more than the model's context of 512");
    }

    @Test
    void unloadableModelDirectoryIsAClearErrorNotAStackTrace() throws Exception {
        Path pairs = tmp.resolve("p.jsonl");
        Files.writeString(pairs, "{\"prompt\": \"Hi\", \"chosen\": \" a\", \"rejected\": \" b\"}\n");
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Run run = run("logps", "--model", empty.toString(), "--pairs", pairs.toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("cannot load --model").contains("config.json").doesNotContain("\tat ");
    }

    @Test
    void aModelDirectoryWithoutTokenizerUsesTheParentsOrTheOneGivenAndScoresTheSame() throws Exception {
        // The HF fixture layout: policy/ and reference/ hold weights only, tokenizer.json sits beside them.
        Path shared = Files.createDirectories(tmp.resolve("shared-tokenizer"));
        Path weightsOnly = Files.createDirectories(shared.resolve("policy"));
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(policyDir.resolve(f), weightsOnly.resolve(f));
        }
        Files.copy(policyDir.resolve("tokenizer.json"), shared.resolve("tokenizer.json"));
        Path pairs = tmp.resolve("tok.jsonl");
        Files.writeString(pairs, "{\"prompt\": \"Say hi\", \"chosen\": \" hi\", \"rejected\": \" bye\"}\n");

        Run full = run("logps", "--model", policyDir.toString(), "--pairs", pairs.toString());
        Run parent = run("logps", "--model", weightsOnly.toString(), "--pairs", pairs.toString());
        Run given = run("logps", "--model", weightsOnly.toString(), "--pairs", pairs.toString(),
                "--tokenizer", shared.resolve("tokenizer.json").toString());

        assertThat(full.exit()).isZero();
        assertThat(parent.exit()).isZero();
        assertThat(given.exit()).isZero();
        assertThat(parent.err()).contains("has no tokenizer.json; using").contains(shared.resolve("tokenizer.json").toString());
        assertThat(parent.err().split("has no tokenizer.json", -1)).as("said once").hasSize(2);
        assertThat(given.err()).doesNotContain("has no tokenizer.json");
        double expected = full.lines().get(0).get("policy_chosen_logp").asDouble();
        assertThat(expected).isNegative();
        assertThat(parent.lines().get(0).get("policy_chosen_logp").asDouble()).isEqualTo(expected);
        assertThat(given.lines().get(0).get("policy_chosen_logp").asDouble()).isEqualTo(expected);

        Path lonely = Files.createDirectories(tmp.resolve("lonely").resolve("policy"));
        Files.copy(policyDir.resolve("config.json"), lonely.resolve("config.json"));
        Files.copy(policyDir.resolve("model.safetensors"), lonely.resolve("model.safetensors"));
        Run missing = run("logps", "--model", lonely.toString(), "--pairs", pairs.toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("no tokenizer.json here or in the parent directory (pass --tokenizer FILE)");
        Run wrongFile = run("logps", "--model", lonely.toString(), "--pairs", pairs.toString(),
                "--tokenizer", lonely.resolve("config.json").toString());
        assertThat(wrongFile.exit()).isEqualTo(2);
        assertThat(wrongFile.err()).contains("--tokenizer").contains("expected a tokenizer.json file");
    }

    private static String[] parseOk(String line) {
        try {
            return LogpsCommand.parse(line);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
