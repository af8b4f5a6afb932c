package dev.prefstream.trainer.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Forward + backward in a per-step scope leaves nothing behind in the model's manager. */
class MemoryStabilityTest {

    @Test
    void fiftyTrainingPassesKeepArrayCountAndResidentMemoryFlat() throws IOException {
        for (String preset : List.of(ModelPresets.TINY, ModelPresets.TINY_GPT2)) {
            try (LoadedModel lm = ModelPresets.builtin(preset, Device.cpu(), 5)) {
                DecoderModel model = lm.model();
                model.setTrainable(true);
                int before = model.manager().getManagedArrays().size();
                Random random = new Random(0);
                long rssAfterWarmup = 0;
                for (int step = 0; step < 50; step++) {
                    try (NDManager scope = model.manager().newSubManager()) {
                        long[] ids = new long[2 * 16];
                        for (int i = 0; i < ids.length; i++) {
                            ids[i] = random.nextInt(256);
                        }
                        long[] mask = new long[ids.length];
                        java.util.Arrays.fill(mask, 1);
                        java.util.Arrays.fill(mask, 16 + 10, 32, 0);   // second row right-padded
                        NDArray input = scope.create(ids, new Shape(2, 16));
                        NDArray attention = scope.create(mask, new Shape(2, 16));
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            NDArray logits = model.forward(input, attention);
                            NDArray loss = SequenceLogProbs.sumLogProbs(logits, input, attention).neg().mean();
                            gc.backward(loss);
                        }
                        assertThat(scope.getManagedArrays()).isNotEmpty();
                    }
                    assertThat(model.manager().getManagedArrays()).as("%s step %d", preset, step).hasSize(before);
                    if (step == 9) {
                        rssAfterWarmup = residentKiB();
                    }
                }
                long growth = residentKiB() - rssAfterWarmup;
                // 40 steps leaking even the logits alone (2x16x257 floats) would be tiny, a leaked activation
                // set per step is megabytes: allow allocator noise only
                assertThat(growth).as("%s resident growth in KiB", preset).isLessThan(64 * 1024);
                NDArray someWeight = model.parameters().values().iterator().next();
                try (NDArray grad = someWeight.getGradient()) {
                    assertThat(grad.abs().sum().getFloat()).isGreaterThan(0f);
                }
            }
        }
    }

    private static long residentKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }
}
