package dev.prefstream.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.HfModelSaver;
import dev.prefstream.trainer.model.LoadedModel;
import dev.prefstream.trainer.model.ModelPresets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** {@code --precision} of bench train, train and replay: parsing, the JSON field, and fp16's one-line refusal on a CPU. */
class TrainPrecisionOptionsTest {

    private static final String GPU_ONLY = "fp16 mixed precision runs on a GPU only";

    @TempDir
    Path tmp;

    private record Run(int exit, String out, String err) {
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

    private static void assumeCpu() {
        assumeFalse(Engine.getInstance().defaultDevice().isGpu(), "fp16 is allowed on a GPU");
    }

    @Test
    void benchTrainPrintsItsPrecisionInTheJsonLine() throws Exception {
        assertThat(run("bench", "train", "--help").out()).contains("--precision");
        Run r = run("bench", "train", "--model", "tiny", "--precision", "FP32", "--steps", "1", "--warmup", "0",
                "--seq", "16", "--pairs-per-step", "1");
        assertThat(r.exit()).as(r.err()).isZero();
        String[] lines = r.out().strip().split("\n");
        JsonNode json = new ObjectMapper().readTree(lines[lines.length - 1]);
        assertThat(json.get("precision").asText()).isEqualTo("fp32");
        assertThat(json.get("params").asLong()).isPositive();
        assertThat(json.get("tokens_per_s").asDouble()).isPositive();
        assertThat(json.get("gradient_checkpointing").asBoolean()).isFalse();
        assertThat(json.get("peak_rss_mb").asLong()).as("the JVM alone is over 100 MB").isGreaterThan(100);
        assertThat(json.get("load_s").asDouble()).as("seconds, 0.0 when a warm JVM draws the tiny preset").isGreaterThanOrEqualTo(0.0);
        assertThat(json.get("setup_s").asDouble()).isGreaterThanOrEqualTo(0.0);
        assertThat(json.get("gradient_accumulation").asInt()).isEqualTo(1);
        assertThat(json.get("reference_placement").asText()).isEqualTo("device");
        // the phases of a step add up to the step (the optimizer phase is the remainder of the step's wall time)
        double phases = 0;
        for (String phase : new String[] {"reference_ms", "forward_ms", "backward_ms", "optimizer_ms"}) {
            assertThat(json.get(phase).asDouble()).as(phase).isPositive();
            phases += json.get(phase).asDouble();
        }
        assertThat(phases).isCloseTo(json.get("ms_per_step").asDouble(), org.assertj.core.api.Assertions.within(0.5));
    }

    @Test
    void benchTrainKeepsTheReferenceInHostMemoryWhenAskedAndRefusesAnUnknownPlacement() throws Exception {
        Run r = run("bench", "train", "--model", "tiny", "--reference-placement", "host", "--steps", "1", "--warmup", "0",
                "--seq", "16", "--pairs-per-step", "1");
        assertThat(r.exit()).as(r.err()).isZero();
        String[] lines = r.out().strip().split("\n");
        assertThat(new ObjectMapper().readTree(lines[lines.length - 1]).get("reference_placement").asText()).isEqualTo("host");
        Run bad = run("bench", "train", "--model", "tiny", "--reference-placement", "gpu");
        assertThat(bad.exit()).as("a usage error").isEqualTo(64);
        assertThat(bad.err()).contains("unknown reference placement 'gpu', expected device or host");
    }

    /** LoRA on a frozen base, checkpointed, two micro-batches: the frozen embeddings have no graph to go back through. */
    @Test
    void benchTrainWithLoraCheckpointingAndAccumulationTrains() throws Exception {
        Run r = run("bench", "train", "--model", "tiny", "--lora-rank", "4", "--gradient-checkpointing",
                "--gradient-accumulation", "2", "--steps", "1", "--warmup", "0", "--seq", "32", "--pairs-per-step", "2");
        assertThat(r.exit()).as(r.err()).isZero();
        String[] lines = r.out().strip().split("\n");
        JsonNode json = new ObjectMapper().readTree(lines[lines.length - 1]);
        assertThat(json.get("gradient_accumulation").asInt()).isEqualTo(2);
        assertThat(json.get("gradient_checkpointing").asBoolean()).isTrue();
        assertThat(json.get("params").asLong()).as("adapter scalars only").isLessThan(623_872L);
        assertThat(json.get("tokens_per_s").asDouble()).isPositive();
    }

    @Test
    void benchTrainWithGradientCheckpointingSaysSoInTheJsonLine() throws Exception {
        assertThat(run("bench", "train", "--help").out()).contains("--gradient-checkpointing");
        Run r = run("bench", "train", "--model", "tiny", "--gradient-checkpointing", "--steps", "1", "--warmup", "0",
                "--seq", "16", "--pairs-per-step", "1");
        assertThat(r.exit()).as(r.err()).isZero();
        String[] lines = r.out().strip().split("\n");
        JsonNode json = new ObjectMapper().readTree(lines[lines.length - 1]);
        assertThat(json.get("gradient_checkpointing").asBoolean()).isTrue();
        assertThat(json.get("peak_rss_mb").asLong()).isGreaterThan(100);
        assertThat(json.get("tokens_per_s").asDouble()).isPositive();
    }

    @Test
    void benchTrainOnAModelWithFewerPositionsThanTheDefaultRowUsesAllOfThem() throws Exception {
        Path dir = tmp.resolve("short-context");
        try (LoadedModel m = ModelPresets.builtin(ModelPresets.TINY, Device.cpu(), 3)) {
            HfModelSaver.save(m.model(), dir, m.tokenizer());
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        config.put("max_position_embeddings", 64);  // RoPE: the context is only a config value
        Files.writeString(dir.resolve("config.json"), json.writeValueAsString(config));

        Run r = run("bench", "train", "--model", dir.toString(), "--steps", "1", "--warmup", "0",
                "--pairs-per-step", "1");
        assertThat(r.exit()).as(r.err()).isZero();
        String[] lines = r.out().strip().split("\n");
        JsonNode last = json.readTree(lines[lines.length - 1]);
        assertThat(last.get("seq").asInt()).isEqualTo(64);
        assertThat(last.get("pairs_per_step").asInt()).isEqualTo(1);
        assertThat(last.get("tokens_per_s").asDouble()).isPositive();

        Run tooLong = run("bench", "train", "--model", dir.toString(), "--seq", "65", "--steps", "1");
        assertThat(tooLong.exit()).isEqualTo(2);
        assertThat(tooLong.err()).contains("sequence length 65 exceeds the model's 64 positions");
    }

    @Test
    void anUnknownOrBf16PrecisionIsAUsageError() {
        Run bf16 = run("bench", "train", "--precision", "bf16");
        assertThat(bf16.exit()).isEqualTo(64);
        assertThat(bf16.err()).contains("--precision").contains("bf16 is not supported").doesNotContain("\tat ");
        Run other = run("train", "--model", "tiny", "--out", tmp.toString(), "--precision", "int8");
        assertThat(other.exit()).isEqualTo(64);
        assertThat(other.err()).contains("unknown precision 'int8', expected fp32 or fp16");
    }

    @Test
    void fp16OnTheCpuIsRefusedInOneLineBeforeAnythingLoadsOrConnects() throws Exception {
        assumeCpu();
        Run bench = run("bench", "train", "--model", "tiny", "--precision", "fp16");
        assertThat(bench.exit()).isEqualTo(2);
        assertThat(bench.err().strip()).startsWith("prefstream bench train: " + GPU_ONLY).doesNotContain("\tat ").doesNotContain("\n");
        assertThat(bench.out()).isEmpty();

        // nothing listens on port 1: the command must fail on the precision, not on Kafka
        Path out = tmp.resolve("ckpt");
        Run train = run("train", "--model", "tiny", "--out", out.toString(), "--precision", "fp16",
                "--bootstrap", "localhost:1", "--metrics-port", "-1", "--publish", "none");
        assertThat(train.exit()).isEqualTo(1);
        assertThat(train.err().strip()).startsWith("prefstream train: " + GPU_ONLY).doesNotContain("\tat ").doesNotContain("\n");
        assertThat(out).doesNotExist();

        Path config = Files.writeString(tmp.resolve("fp16.properties"), "prefstream.dpo.precision=fp16\n");
        Run fromConfig = run("train", "--model", "tiny", "--out", out.toString(), "--config", config.toString(),
                "--bootstrap", "localhost:1", "--metrics-port", "-1", "--publish", "none");
        assertThat(fromConfig.exit()).isEqualTo(1);
        assertThat(fromConfig.err()).startsWith("prefstream train: " + GPU_ONLY);

        Run replay = run("replay", "--model", "m", "--initial", "tiny", "--from-timestamp", "0", "--out", out.toString(),
                "--precision", "fp16", "--bootstrap", "localhost:1");
        assertThat(replay.exit()).isEqualTo(1);
        assertThat(replay.err().strip()).startsWith("prefstream replay: " + GPU_ONLY).doesNotContain("\tat ");
    }
}
