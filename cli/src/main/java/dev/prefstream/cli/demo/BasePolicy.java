package dev.prefstream.cli.demo;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.HfModelSaver;
import dev.prefstream.trainer.model.LoadedModel;
import dev.prefstream.trainer.model.ModelPresets;
import dev.prefstream.trainer.sft.SftConfig;
import dev.prefstream.trainer.sft.SftExample;
import dev.prefstream.trainer.sft.SftTrainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * The demo's base policy: the built-in tiny model supervised-fine-tuned on the task's sloppy demonstrations
 * ({@link LetterCountTask#demonstration}), so it answers in the right format but often imprecisely. Cached as a
 * Hugging Face directory (with a marker recording the settings that made it); a cache made with other settings is
 * rebuilt. Written into a temporary directory and renamed, so an interrupted run never leaves a half-written cache.
 */
public final class BasePolicy {

    private static final Logger LOG = LoggerFactory.getLogger(BasePolicy.class);

    /** Marker file with the settings, written last. */
    public static final String MARKER = "demo-base-policy.json";

    /**
     * @param preset       built-in architecture
     * @param initSeed     initialisation seed of the preset
     * @param steps        SFT optimizer steps
     * @param batch        demonstrations per step
     * @param learningRate peak SFT learning rate
     * @param dataSeed     seed of the demonstrations
     */
    public record Settings(String preset, long initSeed, int steps, int batch, double learningRate, long dataSeed) {
        public Settings {
            if (!ModelPresets.isPreset(preset)) {
                throw new IllegalArgumentException("unknown preset " + preset);
            }
            if (steps < 1 || batch < 1 || !(learningRate > 0)) {
                throw new IllegalArgumentException("SFT needs steps >= 1, batch >= 1 and a learning rate > 0");
            }
        }

        /** The demo's defaults: tiny, 200 steps of 32 demonstrations at lr 3e-3. */
        public static Settings defaults() {
            return new Settings(ModelPresets.TINY, 7L, 200, 32, 3e-3, 1L);
        }
    }

    /** Told about SFT progress. */
    @FunctionalInterface
    public interface Progress {
        void step(int done, int total, double loss);
    }

    private BasePolicy() {
    }

    /** The cached base policy in {@code dir}, trained first if missing or made with other settings. */
    public static Path ensure(Path dir, Settings settings, LetterCountTask task, Progress progress) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode wanted = json.valueToTree(settings);
        Path marker = dir.resolve(MARKER);
        try {
            if (Files.exists(marker) && settings.equals(cachedSettings(json, marker))) {
                LOG.info("Base policy cached in {}", dir);
                return dir;
            }
            LOG.info("Training the base policy into {} ({} SFT steps of {} demonstrations)", dir, settings.steps(), settings.batch());
            Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
            deleteTree(tmp);
            try (LoadedModel lm = ModelPresets.builtin(settings.preset(), Device.cpu(), settings.initSeed())) {
                SplittableRandom random = new SplittableRandom(settings.dataSeed());
                try (SftTrainer sft = new SftTrainer(lm.model(), lm.tokenizer(), SftConfig.of(settings.steps(), settings.learningRate()))) {
                    for (int s = 0; s < settings.steps(); s++) {
                        List<SftExample> batch = new ArrayList<>(settings.batch());
                        for (int i = 0; i < settings.batch(); i++) {
                            TaskPrompt p = task.draw(random);
                            batch.add(new SftExample(p.rendered(), LetterCountTask.demonstration(p, random)));
                        }
                        double loss = sft.step(batch);
                        progress.step(s + 1, settings.steps(), loss);
                    }
                }
                HfModelSaver.save(lm.model(), tmp, lm.tokenizer());
            }
            json.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve(MARKER).toFile(), wanted);
            // the marker goes first: a run killed halfway through deleting the old cache must not find a marker
            // beside missing weights and take it for a complete cache (deleteTree's order would leave it to the end)
            Files.deleteIfExists(marker);
            deleteTree(dir);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the base policy in " + dir, e);
        }
    }

    private static Settings cachedSettings(ObjectMapper json, Path marker) {
        try {
            return json.readValue(marker.toFile(), Settings.class);
        } catch (IOException | RuntimeException e) {
            LOG.warn("unreadable base-policy marker {} ({}); rebuilding the base policy", marker, e.getMessage());
            return null;
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path x : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
