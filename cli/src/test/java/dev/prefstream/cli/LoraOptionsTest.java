package dev.prefstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prefstream.trainer.dpo.TrainerConfig;
import dev.prefstream.trainer.lora.LoraConfig;
import dev.prefstream.trainer.stream.LoraSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code --lora-*} options and {@code prefstream.trainer.lora-*} keys; export's refusal of a full checkpoint. */
class LoraOptionsTest {

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

    @Test
    void benchTrainWithLoraTrainsOnlyTheAdapters() throws Exception {
        for (String command : List.of("train", "replay", "demo")) {
            assertThat(run(command, "--help").out()).as(command).contains("--lora-rank", "--lora-alpha", "--lora-dropout",
                    "--lora-targets");
        }
        Run r = run("bench", "train", "--model", "tiny", "--lora-rank", "4", "--lora-targets", "q_proj,v_proj",
                "--steps", "1", "--warmup", "0", "--seq", "16", "--pairs-per-step", "1");
        assertThat(r.exit()).as(r.err()).isZero();
        String[] lines = r.out().strip().split("\n");
        JsonNode json = new ObjectMapper().readTree(lines[lines.length - 1]);
        // tiny: 4 layers, hidden 128, q 128 -> 128, v 128 -> 64 (2 kv heads of 32): r (in + out) per matrix pair
        assertThat(json.get("params").asLong()).isEqualTo(4L * 4 * ((128 + 128) + (128 + 64)));

        Run bad = run("bench", "train", "--model", "tiny", "--lora-rank", "4", "--lora-targets", "c_attn", "--steps", "1");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("'c_attn' matches no projection");
    }

    @Test
    void propertiesKeysResolveLikeTheOptionsAndAlphaDefaultsToTwiceTheRank() {
        Properties p = new Properties();
        p.setProperty("prefstream.trainer.lora-rank", "8");
        p.setProperty("prefstream.trainer.lora-dropout", "0.05");
        p.setProperty("prefstream.trainer.lora-targets", "q_proj, k_proj");
        LoraConfig lora = LoraSettings.apply(TrainerConfig.defaults(), p).lora();
        assertThat(lora).isEqualTo(new LoraConfig(8, 16, 0.05, List.of("q_proj", "k_proj")));
        // the streaming config accepts (and leaves to LoraSettings) the same keys
        assertThat(dev.prefstream.trainer.stream.StreamingTrainerConfig.defaults("m", tmp).withProperties(p).modelName()).isEqualTo("m");
        assertThat(LoraSettings.apply(TrainerConfig.defaults(), new Properties()).lora().enabled()).isFalse();
    }

    @Test
    void exportRefusesAFullCheckpoint() throws Exception {
        Path full = tmp.resolve("full");
        Files.createDirectories(full);
        Files.writeString(full.resolve("config.json"), "{}");
        Run r = run("export", "--checkpoint", full.toString(), "--out", tmp.resolve("out").toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.NO_RESULT);
        assertThat(r.err()).contains("is not a LoRA checkpoint");
        assertThat(tmp.resolve("out")).doesNotExist();
        Run missing = run("export", "--checkpoint", tmp.resolve("nowhere").toString(), "--out", tmp.resolve("out").toString());
        assertThat(missing.exit()).isEqualTo(ExitCodes.NO_RESULT);
        assertThat(missing.err()).contains("nowhere does not exist");
    }

    @Test
    void exportIntoAnExistingDirectoryIsAUsageError() throws Exception {
        Path lora = tmp.resolve("lora");
        Files.createDirectories(lora);
        Files.writeString(lora.resolve("adapter_config.json"), "{}");
        Path out = Files.createDirectories(tmp.resolve("taken"));
        Files.writeString(out.resolve("keep.txt"), "mine");
        Run r = run("export", "--checkpoint", lora.toString(), "--out", out.toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--out " + out + " exists; export writes a new directory", "Try 'prefstream export --help'");
        assertThat(out.resolve("keep.txt")).hasContent("mine");
    }
}
