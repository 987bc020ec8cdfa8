package minibert.book;

import java.util.List;
import java.util.Locale;

/**
 * Horizontal stacked bars as an SVG document: one bar per variant, one segment per part (in the same order and
 * colour in every bar), with a legend; a segment wide enough is labelled with its value.
 */
final class StackedBars {

    /** One bar: its name, and the value of each part. */
    record Bar(String name, List<String> parts, double[] values) {
    }

    private static final String[] COLOURS = {"#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728",
            "#ff9896", "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#bcbd22"};
    private static final int WIDTH = 720, LEFT = 130, RIGHT = 30, TOP = 20, BAR = 34, GAP = 16, LEGEND_ROW = 18;

    private StackedBars() {
    }

    static String of(List<Bar> bars, String unit) {
        double max = 0;
        for (Bar b : bars) {
            double sum = 0;
            for (double v : b.values()) {
                sum += v;
            }
            max = Math.max(max, sum);
        }
        List<String> parts = bars.get(0).parts();
        double plot = WIDTH - LEFT - RIGHT, scale = max > 0 ? plot / max : 0;
        int axisY = TOP + bars.size() * (BAR + GAP);
        int legendRows = (parts.size() + 1) / 2;
        int height = axisY + 40 + legendRows * LEGEND_ROW + 10;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, height, WIDTH, height));
        for (int b = 0; b < bars.size(); b++) {
            Bar bar = bars.get(b);
            int y = TOP + b * (BAR + GAP);
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n", LEFT - 8, y + BAR / 2 + 4,
                    escape(bar.name())));
            double x = LEFT, sum = 0;
            for (int i = 0; i < bar.values().length; i++) {
                double w = bar.values()[i] * scale;
                sum += bar.values()[i];
                s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%s: %.1f %s</title></rect>%n",
                        x, y, w, BAR, COLOURS[i % COLOURS.length], escape(bar.parts().get(i)), bar.values()[i], escape(unit)));
                if (w > 26) {
                    s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"10\">%.0f</text>%n",
                            x + w / 2, y + BAR / 2 + 4, bar.values()[i]));
                }
                x += w;
            }
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\">%.0f</text>%n", Math.min(x + 4, WIDTH - RIGHT + 2.0),
                    y + BAR / 2 + 4, sum));
        }
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>%n", LEFT, axisY, WIDTH - RIGHT, axisY));
        double tick = niceStep(max / 5);
        for (double v = 0; v <= max + 1e-9 && tick > 0; v += tick) {
            double x = LEFT + v * scale;
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\"/>%n", x, axisY, x, axisY + 4));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"10\">%s</text>%n", x, axisY + 16,
                    tick >= 1 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v)));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", LEFT + (int) plot / 2, axisY + 32,
                escape(unit)));
        for (int i = 0; i < parts.size(); i++) {
            int col = i % 2, row = i / 2;
            int x = 20 + col * (WIDTH / 2), y = axisY + 44 + row * LEGEND_ROW;
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>%n", x, y, COLOURS[i % COLOURS.length]));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>%n", x + 18, y + 10, escape(parts.get(i))));
        }
        s.append("</svg>\n");
        return s.toString();
    }

    /** 1, 2 or 5 times a power of ten, at least {@code raw}. */
    private static double niceStep(double raw) {
        if (!(raw > 0)) {
            return 0;
        }
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * p >= raw) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String escape(String t) {
        return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
