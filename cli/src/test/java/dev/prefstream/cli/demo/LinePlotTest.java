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

    @Test
    void anEmptySeriesIsNotInTheLegendAndTheLegendAvoidsThePoints() {
        assertThat(new LinePlot.Series("rejected", Color.RED, LinePlot.Style.MARKERS, new double[0], new double[0])
                .hasFinitePoint()).isFalse();
        assertThat(new LinePlot.Series("nan", Color.RED, LinePlot.Style.MARKERS, new double[] {1}, new double[] {Double.NaN})
                .hasFinitePoint()).isFalse();
        java.awt.Rectangle plot = new java.awt.Rectangle(0, 0, 800, 400);
        // a point in the top-right corner (the preferred place): the legend moves to the top left
        java.awt.Rectangle box = LinePlot.legendBox(plot, 120, 44, java.util.List.of(new java.awt.Point(760, 20)), java.util.List.of());
        assertThat(box.x).isLessThan(400);
        assertThat(box.y).isLessThan(200);
        // points in both top corners: a bottom corner
        box = LinePlot.legendBox(plot, 120, 44, java.util.List.of(new java.awt.Point(760, 20), new java.awt.Point(100, 20)),
                java.util.List.of());
        assertThat(box.y).isGreaterThan(200);
    }

    @Test
    void aLabelThatWouldCoverAnEarlierOneIsLeftOut() {
        java.util.List<java.awt.Rectangle> placed = new java.util.ArrayList<>();
        assertThat(LinePlot.placeLabel(placed, new java.awt.Rectangle(100, 100, 60, 14))).isTrue();
        assertThat(LinePlot.placeLabel(placed, new java.awt.Rectangle(130, 105, 60, 14))).as("overlapping").isFalse();
        assertThat(LinePlot.placeLabel(placed, new java.awt.Rectangle(100, 130, 60, 14))).as("clear of it").isTrue();
        assertThat(placed).hasSize(2);
    }
}
