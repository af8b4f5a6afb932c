package dev.prefstream.cli.demo;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small x/y chart drawn with Java2D (headless, no plotting dependency) and written as PNG: lines and/or markers
 * per series, "nice" axis ticks, a legend, optional horizontal reference lines. Enough for the demo's report.
 */
public final class LinePlot {

    /** How a series is drawn. */
    public enum Style { LINE, MARKERS, LINE_AND_MARKERS }

    /** One series; NaN points are skipped; {@code labels} (may be null) are written next to the points. */
    public record Series(String name, Color color, Style style, double[] x, double[] y, String[] labels) {
        public Series {
            if (x.length != y.length || (labels != null && labels.length != x.length)) {
                throw new IllegalArgumentException("series '" + name + "': x, y and labels differ in length");
            }
        }

        /** A series without point labels. */
        public Series(String name, Color color, Style style, double[] x, double[] y) {
            this(name, color, style, x, y, null);
        }

        /** True when some point can be drawn (an empty series is left out of the legend). */
        public boolean hasFinitePoint() {
            for (int i = 0; i < x.length; i++) {
                if (Double.isFinite(x[i]) && Double.isFinite(y[i])) {
                    return true;
                }
            }
            return false;
        }
    }

    /** A dashed horizontal line with a label (e.g. the base policy's score). */
    public record Reference(String label, Color color, double y) {
    }

    private static final int WIDTH = 900;
    private static final int HEIGHT = 540;
    private static final int LEFT = 80;
    private static final int RIGHT = 30;
    private static final int TOP = 50;
    private static final int BOTTOM = 60;

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();
    private final List<Reference> references = new ArrayList<>();

    public LinePlot(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    public LinePlot add(Series s) {
        series.add(s);
        return this;
    }

    public LinePlot reference(Reference r) {
        references.add(r);
        return this;
    }

    /** Draws and writes the PNG to {@code file}. */
    public void writePng(Path file) {
        BufferedImage image = render();
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            if (!ImageIO.write(image, "png", file.toFile())) {
                throw new IOException("no PNG writer available");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write plot " + file, e);
        }
    }

    /** The chart as an image. */
    public BufferedImage render() {
        double[] xr = range(true);
        double[] yr = range(false);
        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            int pw = WIDTH - LEFT - RIGHT;
            int ph = HEIGHT - TOP - BOTTOM;
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            g.setColor(Color.BLACK);
            FontMetrics fm = g.getFontMetrics();
            g.drawString(title, (WIDTH - fm.stringWidth(title)) / 2, 30);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            fm = g.getFontMetrics();
            // grid and ticks
            for (double t : ticks(xr[0], xr[1])) {
                int px = LEFT + (int) Math.round((t - xr[0]) / (xr[1] - xr[0]) * pw);
                g.setColor(new Color(230, 230, 230));
                g.drawLine(px, TOP, px, TOP + ph);
                g.setColor(Color.DARK_GRAY);
                String s = format(t);
                g.drawString(s, px - fm.stringWidth(s) / 2, TOP + ph + 18);
            }
            for (double t : ticks(yr[0], yr[1])) {
                int py = TOP + ph - (int) Math.round((t - yr[0]) / (yr[1] - yr[0]) * ph);
                g.setColor(new Color(230, 230, 230));
                g.drawLine(LEFT, py, LEFT + pw, py);
                g.setColor(Color.DARK_GRAY);
                String s = format(t);
                g.drawString(s, LEFT - 8 - fm.stringWidth(s), py + 4);
            }
            g.setColor(Color.BLACK);
            g.drawRect(LEFT, TOP, pw, ph);
            g.drawString(xLabel, LEFT + (pw - fm.stringWidth(xLabel)) / 2, HEIGHT - 18);
            Graphics2D rotated = (Graphics2D) g.create();
            rotated.rotate(-Math.PI / 2);
            rotated.drawString(yLabel, -(TOP + (ph + fm.stringWidth(yLabel)) / 2), 20);
            rotated.dispose();
            for (Reference r : references) {
                int py = TOP + ph - (int) Math.round((r.y() - yr[0]) / (yr[1] - yr[0]) * ph);
                g.setColor(r.color());
                g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 6f}, 0f));
                g.draw(new Line2D.Double(LEFT, py, LEFT + pw, py));
                g.drawString(r.label(), LEFT + 8, py - 5);
            }
            g.setStroke(new BasicStroke(2f));
            List<Rectangle> drawnLabels = new ArrayList<>();
            List<java.awt.Point> points = new ArrayList<>();
            for (Series s : series) {
                g.setColor(s.color());
                Path2D path = new Path2D.Double();
                boolean started = false;
                for (int i = 0; i < s.x().length; i++) {
                    if (!Double.isFinite(s.x()[i]) || !Double.isFinite(s.y()[i])) {
                        continue;
                    }
                    double px = LEFT + (s.x()[i] - xr[0]) / (xr[1] - xr[0]) * pw;
                    double py = TOP + ph - (s.y()[i] - yr[0]) / (yr[1] - yr[0]) * ph;
                    if (!started) {
                        path.moveTo(px, py);
                        started = true;
                    } else {
                        path.lineTo(px, py);
                    }
                    if (s.style() != Style.LINE) {
                        g.fill(new Ellipse2D.Double(px - 4, py - 4, 8, 8));
                    }
                    if (s.labels() != null && s.labels()[i] != null) {
                        // a label that would cover an earlier one is left out (close checkpoints crowd each other)
                        Rectangle box = new Rectangle((int) px + 6, (int) py - 6 - fm.getAscent(),
                                fm.stringWidth(s.labels()[i]), fm.getHeight());
                        if (placeLabel(drawnLabels, box)) {
                            g.setColor(Color.DARK_GRAY);
                            g.drawString(s.labels()[i], (float) px + 6, (float) py - 6);
                            g.setColor(s.color());
                        }
                    }
                    points.add(new java.awt.Point((int) px, (int) py));
                }
                if (s.style() != Style.MARKERS && started) {
                    g.draw(path);
                }
            }
            // legend: only series with a point to show, in the plot corner that covers fewest points, on white
            List<Series> shown = series.stream().filter(Series::hasFinitePoint).toList();
            if (!shown.isEmpty()) {
                FontMetrics legendFont = fm;
                int lw = 32 + shown.stream().mapToInt(x -> legendFont.stringWidth(x.name())).max().orElse(0);
                int lh = 8 + 18 * shown.size();
                Rectangle legend = legendBox(new Rectangle(LEFT, TOP, pw, ph), lw, lh, points, drawnLabels);
                g.setColor(Color.WHITE);
                g.fill(legend);
                g.setColor(Color.LIGHT_GRAY);
                g.draw(legend);
                int ly = legend.y + 18;
                for (Series x : shown) {
                    g.setColor(x.color());
                    g.fillRect(legend.x + 6, ly - 9, 14, 10);
                    g.setColor(Color.BLACK);
                    g.drawString(x.name(), legend.x + 26, ly);
                    ly += 18;
                }
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    /** Records {@code box} and returns true unless it overlaps a label already placed. */
    static boolean placeLabel(List<Rectangle> placed, Rectangle box) {
        for (Rectangle r : placed) {
            if (r.intersects(box)) {
                return false;
            }
        }
        placed.add(box);
        return true;
    }

    /**
     * The legend's box of {@code w} x {@code h}: the corner of {@code plot} (top right, top left, bottom right,
     * bottom left, in that order of preference) that covers the fewest data points and labels.
     */
    static Rectangle legendBox(Rectangle plot, int w, int h, List<java.awt.Point> points, List<Rectangle> labels) {
        int m = 8;
        Rectangle[] corners = {
                new Rectangle(plot.x + plot.width - w - m, plot.y + m, w, h),
                new Rectangle(plot.x + m + 40, plot.y + m, w, h),
                new Rectangle(plot.x + plot.width - w - m, plot.y + plot.height - h - m, w, h),
                new Rectangle(plot.x + m + 40, plot.y + plot.height - h - m, w, h)};
        Rectangle best = corners[0];
        int fewest = Integer.MAX_VALUE;
        for (Rectangle c : corners) {
            Rectangle padded = new Rectangle(c.x - 5, c.y - 5, c.width + 10, c.height + 10);
            int covered = 0;
            for (java.awt.Point p : points) {
                covered += padded.contains(p) ? 1 : 0;
            }
            for (Rectangle l : labels) {
                covered += padded.intersects(l) ? 1 : 0;
            }
            if (covered < fewest) {
                fewest = covered;
                best = c;
            }
        }
        return best;
    }

    private double[] range(boolean xAxis) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            double[] v = xAxis ? s.x() : s.y();
            double[] other = xAxis ? s.y() : s.x();
            for (int i = 0; i < v.length; i++) {
                if (Double.isFinite(v[i]) && Double.isFinite(other[i])) {
                    lo = Math.min(lo, v[i]);
                    hi = Math.max(hi, v[i]);
                }
            }
        }
        if (!xAxis) {
            for (Reference r : references) {
                lo = Math.min(lo, r.y());
                hi = Math.max(hi, r.y());
            }
        }
        if (!Double.isFinite(lo)) {
            return new double[] {0, 1};
        }
        if (hi - lo < 1e-9) {
            double pad = Math.max(Math.abs(lo) * 0.1, 0.5);
            return new double[] {lo - pad, hi + pad};
        }
        double pad = (hi - lo) * 0.06;
        return new double[] {lo - pad, hi + pad};
    }

    /** Round tick values: 1, 2 or 5 times a power of ten, about six of them. */
    static List<Double> ticks(double lo, double hi) {
        double raw = (hi - lo) / 6;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
        List<Double> out = new ArrayList<>();
        for (double t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
            out.add(Math.abs(t) < step * 1e-9 ? 0.0 : t);
        }
        return out;
    }

    private static String format(double v) {
        double a = Math.abs(v);
        if (a == 0) {
            return "0";
        }
        if (a >= 1000 || a < 0.001) {
            return String.format(Locale.ROOT, "%.1e", v);
        }
        String s = String.format(Locale.ROOT, "%.3f", v);
        return s.replaceAll("0+$", "").replaceAll("\\.$", "");
    }
}
