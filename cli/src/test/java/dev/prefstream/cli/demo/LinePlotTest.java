package dev.prefstream.cli.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class LinePlotTest {

    @Test
    void writesAReadablePngWithTheSeriesDrawn(@TempDir Path dir) throws Exception {
        System.setProperty("java.awt.headless", "true");
        Path file = dir.resolve("plot.png");
        new LinePlot("t", "x", "y")
                .add(new LinePlot.Series("s", Color.RED, LinePlot.Style.LINE_AND_MARKERS, new double[] {0, 1, 2}, new double[] {0, 1, Double.NaN}))
                .reference(new LinePlot.Reference("base", Color.GRAY, 0.5))
                .writePng(file);
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(file), 8);
        assertThat(head).containsExactly(0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A);
        BufferedImage img = ImageIO.read(file.toFile());
        assertThat(img.getWidth()).isEqualTo(900);
        boolean red = false;
        for (int x = 0; x < img.getWidth() && !red; x++) {
            for (int y = 0; y < img.getHeight(); y++) {
                Color c = new Color(img.getRGB(x, y));
                if (c.getRed() > 200 && c.getGreen() < 60 && c.getBlue() < 60) {
                    red = true;
                    break;
                }
            }
        }
        assertThat(red).as("the red series is drawn").isTrue();
    }

    @Test
    void ticksAreRoundNumbers() {
        assertThat(LinePlot.ticks(0, 1)).hasSize(6).first().isEqualTo(0.0);
        assertThat(LinePlot.ticks(0, 1).get(5)).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(LinePlot.ticks(0, 120)).contains(0.0, 20.0, 120.0);
    }
}
