package minibert.book;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small, dependency-free SVG chart: line series, scatter points, bars and horizontal reference
 * lines, on linear or logarithmic axes. Enough for loss curves, histograms and roofline plots.
 *
 * <pre>{@code
 * Plot plot = Plot.of("step", "loss").line("train", steps, losses).line("valid", steps2, losses2);
 * results.publish("train/loss-curve").plot("Training loss", plot);
 * }</pre>
 */
public final class Plot {

    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"};
    private static final int WIDTH = 640;
    private static final int HEIGHT = 380;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 20;
    private static final int BOTTOM = 50;

    private enum Kind { LINE, POINTS, BARS }

    private record Series(String label, double[] x, double[] y, Kind kind, List<String> pointLabels) {
    }

    private record Reference(String label, double y) {
    }

    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();
    private final List<Reference> references = new ArrayList<>();
    private boolean logX;
    private boolean logY;

    private Plot(String xLabel, String yLabel) {
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    /** A new empty chart with axis labels. */
    public static Plot of(String xLabel, String yLabel) {
        return new Plot(xLabel, yLabel);
    }

    public Plot logX() {
        logX = true;
        return this;
    }

    public Plot logY() {
        logY = true;
        return this;
    }

    /** A connected line through the points, in order. */
    public Plot line(String label, double[] x, double[] y) {
        return add(new Series(label, check(x, y), y.clone(), Kind.LINE, List.of()));
    }

    /** Unconnected points, each with an optional label drawn beside it ({@code null} for none). */
    public Plot points(String label, double[] x, double[] y, List<String> pointLabels) {
        if (pointLabels != null && pointLabels.size() != x.length) {
            throw new IllegalArgumentException("points '" + label + "': " + x.length + " points, " + pointLabels.size() + " labels");
        }
        return add(new Series(label, check(x, y), y.clone(), Kind.POINTS, pointLabels == null ? List.of() : List.copyOf(pointLabels)));
    }

    /** Bars of unit width centred on each x (a histogram when x are bin centres). */
    public Plot bars(String label, double[] x, double[] y) {
        return add(new Series(label, check(x, y), y.clone(), Kind.BARS, List.of()));
    }

    /** A dashed horizontal line, e.g. a measured peak. */
    public Plot reference(String label, double y) {
        references.add(new Reference(label, y));
        return this;
    }

    private Plot add(Series s) {
        series.add(s);
        return this;
    }

    private static double[] check(double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("x has " + x.length + " values, y has " + y.length);
        }
        return x.clone();
    }

    /** Renders the chart as a standalone SVG document. */
    public String toSvg() {
        double minX = Double.POSITIVE_INFINITY, maxX = Double.NEGATIVE_INFINITY;
        double minY = Double.POSITIVE_INFINITY, maxY = Double.NEGATIVE_INFINITY;
        boolean hasBars = false;
        for (Series s : series) {
            hasBars |= s.kind == Kind.BARS;
            for (int i = 0; i < s.x.length; i++) {
                if (!usable(s.x[i], logX) || !usable(s.y[i], logY)) {
                    continue;
                }
                minX = Math.min(minX, s.x[i] - (s.kind == Kind.BARS ? 0.5 : 0));
                maxX = Math.max(maxX, s.x[i] + (s.kind == Kind.BARS ? 0.5 : 0));
                minY = Math.min(minY, s.y[i]);
                maxY = Math.max(maxY, s.y[i]);
            }
        }
        for (Reference r : references) {
            minY = Math.min(minY, r.y);
            maxY = Math.max(maxY, r.y);
        }
        if (minX > maxX) {
            minX = 0;
            maxX = 1;
        }
        if (minY > maxY) {
            minY = 0;
            maxY = 1;
        }
        if (hasBars && !logY) {
            minY = Math.min(0, minY);
        }
        if (minX == maxX) {
            minX -= 1;
            maxX += 1;
        }
        if (minY == maxY) {
            minY -= Math.abs(minY) * 0.1 + 1;
            maxY += Math.abs(maxY) * 0.1 + 1;
        }
        Axis ax = new Axis(minX, maxX, logX, LEFT, WIDTH - RIGHT);
        Axis ay = new Axis(minY, maxY, logY, HEIGHT - BOTTOM, TOP);

        StringBuilder b = new StringBuilder();
        b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"")
                .append(HEIGHT).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT)
                .append("\" font-family=\"sans-serif\" font-size=\"12\">\n");
        b.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        // grid and ticks
        for (double t : ax.ticks()) {
            double px = ax.map(t);
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e5e5e5\"/>%n", px, TOP, px, HEIGHT - BOTTOM));
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", px, HEIGHT - BOTTOM + 16, escape(format(t))));
        }
        for (double t : ay.ticks()) {
            double py = ay.map(t);
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>%n", LEFT, py, WIDTH - RIGHT, py));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT - 6, py + 4, escape(format(t))));
        }
        b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>%n",
                LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                (LEFT + WIDTH - RIGHT) / 2, HEIGHT - 10, escape(xLabel)));
        b.append(String.format(Locale.ROOT, "<text transform=\"translate(16,%d) rotate(-90)\" text-anchor=\"middle\">%s</text>%n",
                (TOP + HEIGHT - BOTTOM) / 2, escape(yLabel)));

        for (Reference r : references) {
            double py = ay.map(r.y);
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#555\" stroke-dasharray=\"6 4\"/>%n", LEFT, py, WIDTH - RIGHT, py));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%s</text>%n", WIDTH - RIGHT - 4, py - 4, escape(r.label)));
        }
        for (int si = 0; si < series.size(); si++) {
            Series s = series.get(si);
            String colour = COLOURS[si % COLOURS.length];
            switch (s.kind) {
                case LINE -> {
                    StringBuilder path = new StringBuilder();
                    for (int i = 0; i < s.x.length; i++) {
                        if (!usable(s.x[i], logX) || !usable(s.y[i], logY)) {
                            continue;
                        }
                        path.append(path.isEmpty() ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", ax.map(s.x[i]), ay.map(s.y[i])));
                    }
                    b.append("<path d=\"").append(path).append("\" fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"1.8\"/>\n");
                }
                case POINTS -> {
                    for (int i = 0; i < s.x.length; i++) {
                        if (!usable(s.x[i], logX) || !usable(s.y[i], logY)) {
                            continue;
                        }
                        double px = ax.map(s.x[i]), py = ay.map(s.y[i]);
                        b.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>%n", px, py, colour));
                        if (!s.pointLabels.isEmpty() && s.pointLabels.get(i) != null) {
                            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">%s</text>%n", px + 6, py - 6, escape(s.pointLabels.get(i))));
                        }
                    }
                }
                case BARS -> {
                    double base = ay.map(logY ? ay.lo : Math.max(ay.lo, 0));
                    for (int i = 0; i < s.x.length; i++) {
                        if (!usable(s.y[i], logY)) {
                            continue;
                        }
                        double x0 = ax.map(s.x[i] - 0.45), x1 = ax.map(s.x[i] + 0.45), py = ay.map(s.y[i]);
                        b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" fill-opacity=\"0.8\"/>%n",
                                x0, Math.min(py, base), Math.max(0.5, x1 - x0), Math.abs(base - py), colour));
                    }
                }
            }
            // legend
            int ly = TOP + 14 + 16 * si;
            b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>%n", LEFT + 10, ly - 10, colour));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", LEFT + 28, ly, escape(s.label)));
        }
        b.append("</svg>\n");
        return b.toString();
    }

    private static boolean usable(double v, boolean log) {
        return Double.isFinite(v) && (!log || v > 0);
    }

    static String format(double v) {
        double a = Math.abs(v);
        if (a != 0 && (a >= 1e5 || a < 1e-3)) {
            return String.format(Locale.ROOT, "%.0e", v);
        }
        if (v == Math.rint(v)) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return String.format(Locale.ROOT, "%.3g", v);
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** Maps data values to pixels, with "nice" tick positions. */
    private static final class Axis {
        final double lo, hi;
        final boolean log;
        final double p0, p1;

        Axis(double lo, double hi, boolean log, double p0, double p1) {
            this.log = log;
            this.p0 = p0;
            this.p1 = p1;
            if (log) {
                this.lo = Math.pow(10, Math.floor(Math.log10(lo)));
                this.hi = Math.pow(10, Math.ceil(Math.log10(hi)));
            } else {
                double step = niceStep((hi - lo) / 5);
                this.lo = Math.floor(lo / step) * step;
                this.hi = Math.ceil(hi / step) * step;
            }
        }

        double map(double v) {
            double t = log ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo);
            return p0 + t * (p1 - p0);
        }

        List<Double> ticks() {
            List<Double> ticks = new ArrayList<>();
            if (log) {
                for (double t = lo; t <= hi * 1.0001; t *= 10) {
                    ticks.add(t);
                }
            } else {
                double step = niceStep((hi - lo) / 5);
                for (double t = lo; t <= hi + step * 1e-6; t += step) {
                    ticks.add(Math.abs(t) < step * 1e-9 ? 0.0 : t);
                }
            }
            return ticks;
        }

        static double niceStep(double raw) {
            double mag = Math.pow(10, Math.floor(Math.log10(raw)));
            double f = raw / mag;
            return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
        }
    }
}
