package dev.prefstream.cli;

import ai.djl.engine.Engine;
import dev.prefstream.checkpoint.format.CheckpointLayout;
import dev.prefstream.checkpoint.format.CheckpointReader;
import dev.prefstream.checkpoint.lora.LoraCheckpointFiles;
import dev.prefstream.trainer.lora.LoraCheckpoints;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code prefstream export --checkpoint DIR --out DIR [--merge]}: a LoRA checkpoint as a clean PEFT adapter directory
 * (what {@code PeftModel.from_pretrained} and vLLM's {@code --enable-lora} load), or with {@code --merge} as a full
 * Hugging Face model directory with the adapters folded into the base. The checkpoint's manifest and its base's
 * hash are verified first.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Export a LoRA checkpoint as a PEFT adapter directory, or merged into its base (--merge).")
final class ExportCommand implements Callable<Integer> {

    @Option(names = "--checkpoint", required = true, paramLabel = "DIR", description = "LoRA checkpoint directory (verified against its manifest).")
    Path checkpoint;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "New directory to write (must not exist).")
    Path out;

    @Option(names = "--merge", description = "Write a full Hugging Face model: base weights + (alpha/r) B A.")
    boolean merge;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        // checked here, not only in LoraCheckpoints.export (whose IllegalArgumentException exits 1, "failed while
        // running"), so the codes follow the exit code table: a directory that is not a LoRA checkpoint is input
        // that is not usable (2), an --out that already exists is a usage error (64)
        if (!LoraCheckpointFiles.isLora(checkpoint)) {
            spec.commandLine().getErr().println("prefstream export: " + checkpoint + (Files.isDirectory(checkpoint)
                    ? " is not a LoRA checkpoint (no adapter_config.json); a full checkpoint already is a Hugging Face model directory"
                    : " does not exist"));
            return ExitCodes.NO_RESULT;
        }
        if (Files.exists(out)) {
            throw new ParameterException(spec.commandLine(), "--out " + out + " exists; export writes a new directory");
        }
        if (Files.isRegularFile(checkpoint.resolve(CheckpointLayout.MANIFEST))) {
            CheckpointReader.verify(checkpoint).orThrow();   // every file's SHA-256, as the publisher does
        }
        LoraCheckpoints.export(checkpoint, out, merge, Engine.getInstance().defaultDevice());
        System.out.println("prefstream export: wrote " + (merge ? "merged model " : "PEFT adapter ") + out);
        return 0;
    }
}
