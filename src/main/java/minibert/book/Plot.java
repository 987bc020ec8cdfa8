package minibert.book;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small, dependency-free SVG chart: line series, scatter points, bars, horizontal reference lines and vertical
 * markers, on linear or logarithmic axes, with an optional second y axis on the right for lines of another unit
 * (a learning rate beside a loss). Enough for loss curves, histograms and roofline plots.
 *
 * <pre>{@code
 * Plot plot = Plot.of("step", "loss").line("train", steps, losses).line("valid", steps2, losses2);
 * results.publish("train/loss-curve").plot("Training loss", plot);
 * }</pre>
 */
public final class Plot {

    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf",
            "#e377c2", "#7f7f7f", "#bcbd22"};
    private static final int WIDTH = 640;
    private static final int HEIGHT = 380;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int RIGHT_WITH_AXIS = 76;
    private static final int TOP = 20;
    private static final int BOTTOM = 50;

    private enum Kind { LINE, POINTS, BARS }

    private record Series(String label, double[] x, double[] y, Kind kind, List<String> pointLabels, boolean right) {
    }

    private record Marker(String label, double x) {
    }

    private record Reference(String label, double y) {
    }

    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();
    private final List<Reference> references = new ArrayList<>();
    private final List<Marker> markers = new ArrayList<>();
    private String rightLabel;
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
        return add(new Series(label, check(x, y), y.clone(), Kind.LINE, List.of(), false));
    }

    /** A connected line measured on the second y axis, on the right, labelled {@code axisLabel} (one per chart). */
    public Plot lineRight(String label, String axisLabel, double[] x, double[] y) {
        if (rightLabel != null && !rightLabel.equals(axisLabel)) {
            throw new IllegalArgumentException("the right axis is '" + rightLabel + "'; a line of '" + axisLabel + "' needs a chart of its own");
        }
        rightLabel = axisLabel;
        return add(new Series(label, check(x, y), y.clone(), Kind.LINE, List.of(), true));
    }

    /** A dashed vertical line at {@code x}, labelled at its top: a moment on the x axis, e.g. the end of a phase. */
    public Plot marker(String label, double x) {
        markers.add(new Marker(label, x));
        return this;
    }

    /** Unconnected points, each with an optional label drawn beside it ({@code null} for none). */
    public Plot points(String label, double[] x, double[] y, List<String> pointLabels) {
        if (pointLabels != null && pointLabels.size() != x.length) {
            throw new IllegalArgumentException("points '" + label + "': " + x.length + " points, " + pointLabels.size() + " labels");
        }
        return add(new Series(label, check(x, y), y.clone(), Kind.POINTS, pointLabels == null ? List.of()
                : java.util.Collections.unmodifiableList(new ArrayList<>(pointLabels)), false));   // null entries: no label
    }

    /** Bars of unit width centred on each x (a histogram when x are bin centres). */
    public Plot bars(String label, double[] x, double[] y) {
        return add(new Series(label, check(x, y), y.clone(), Kind.BARS, List.of(), false));
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
        int right = rightLabel == null ? RIGHT : RIGHT_WITH_AXIS;
        double minX = Double.POSITIVE_INFINITY, maxX = Double.NEGATIVE_INFINITY;
        double minY = Double.POSITIVE_INFINITY, maxY = Double.NEGATIVE_INFINITY;
        double minR = Double.POSITIVE_INFINITY, maxR = Double.NEGATIVE_INFINITY;
        boolean hasBars = false;
        for (Series s : series) {
            hasBars |= s.kind == Kind.BARS;
            for (int i = 0; i < s.x.length; i++) {
                if (!usable(s.x[i], logX) || !usable(s.y[i], logY && !s.right)) {
                    continue;
                }
                minX = Math.min(minX, s.x[i] - (s.kind == Kind.BARS ? 0.5 : 0));
                maxX = Math.max(maxX, s.x[i] + (s.kind == Kind.BARS ? 0.5 : 0));
                if (s.right) {
                    minR = Math.min(minR, s.y[i]);
                    maxR = Math.max(maxR, s.y[i]);
                } else {
                    minY = Math.min(minY, s.y[i]);
                    maxY = Math.max(maxY, s.y[i]);
                }
            }
        }
        for (Marker m : markers) {
            if (usable(m.x, logX)) {
                minX = Math.min(minX, m.x);
                maxX = Math.max(maxX, m.x);
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
        Axis ax = new Axis(minX, maxX, logX, LEFT, WIDTH - right);
        Axis ay = new Axis(minY, maxY, logY, HEIGHT - BOTTOM, TOP);
        Axis ar = null;
        if (rightLabel != null) {
            if (minR > maxR) {
                minR = 0;
                maxR = 1;
            }
            ar = new Axis(Math.min(0, minR), maxR == Math.min(0, minR) ? maxR + 1 : maxR, false, HEIGHT - BOTTOM, TOP);
        }

        StringBuilder b = new StringBuilder();
        b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"")
                .append(HEIGHT).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT)
                .append("\" font-family=\"sans-serif\" font-size=\"12\">\n");
        b.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        // grid and ticks
        for (double t : ax.ticks()) {
            double px = ax.map(t);
            if (px > WIDTH - right + 0.5) {
                continue;
            }
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e5e5e5\"/>%n", px, TOP, px, HEIGHT - BOTTOM));
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", px, HEIGHT - BOTTOM + 16, escape(format(t))));
        }
        for (double t : ay.ticks()) {
            double py = ay.map(t);
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>%n", LEFT, py, WIDTH - right, py));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT - 6, py + 4, escape(format(t))));
        }
        if (ar != null) {
            for (double t : ar.ticks()) {
                double py = ar.map(t);
                b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"start\" fill=\"#555\">%s</text>%n",
                        WIDTH - right + 6, py + 4, escape(format(t))));
            }
            b.append(String.format(Locale.ROOT, "<text transform=\"translate(%d,%d) rotate(90)\" text-anchor=\"middle\" fill=\"#555\">%s</text>%n",
                    WIDTH - 10, (TOP + HEIGHT - BOTTOM) / 2, escape(rightLabel)));
        }
        b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>%n",
                LEFT, TOP, WIDTH - LEFT - right, HEIGHT - TOP - BOTTOM));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                (LEFT + WIDTH - right) / 2, HEIGHT - 10, escape(xLabel)));
        b.append(String.format(Locale.ROOT, "<text transform=\"translate(16,%d) rotate(-90)\" text-anchor=\"middle\">%s</text>%n",
                (TOP + HEIGHT - BOTTOM) / 2, escape(yLabel)));

        for (Reference r : references) {
            double py = ay.map(r.y);
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#555\" stroke-dasharray=\"6 4\"/>%n", LEFT, py, WIDTH - right, py));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%s</text>%n", WIDTH - right - 4, py - 4, escape(r.label)));
        }
        for (int mi = 0; mi < markers.size(); mi++) {
            Marker m = markers.get(mi);
            if (!usable(m.x, logX)) {
                continue;
            }
            double px = ax.map(m.x);
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#8a6d00\" stroke-dasharray=\"3 3\"/>%n",
                    px, TOP, px, HEIGHT - BOTTOM));
            boolean left = px > (LEFT + WIDTH - right) / 2.0;            // the label on the side with more room
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\" fill=\"#8a6d00\" font-size=\"10\">%s</text>%n",
                    left ? px - 3 : px + 3, TOP + 12 + 12 * (mi % 4), left ? "end" : "start", escape(m.label)));
        }
        for (int si = 0; si < series.size(); si++) {
            Series s = series.get(si);
            String colour = COLOURS[si % COLOURS.length];
            Axis sy = s.right ? ar : ay;
            switch (s.kind) {
                case LINE -> {
                    StringBuilder path = new StringBuilder();
                    for (int i = 0; i < s.x.length; i++) {
                        if (!usable(s.x[i], logX) || !usable(s.y[i], logY && !s.right)) {
                            continue;
                        }
                        path.append(path.isEmpty() ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", ax.map(s.x[i]), sy.map(s.y[i])));
                    }
                    b.append("<path d=\"").append(path).append("\" fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"1.8\"")
                            .append(s.right ? " stroke-dasharray=\"2 3\"" : "").append("/>\n");
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
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", LEFT + 28, ly,
                    escape(s.label + (s.right ? " (right axis)" : ""))));
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
