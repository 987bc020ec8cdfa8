package minibert.book;

import java.util.List;
import java.util.Locale;

/**
 * Heat maps as SVG: a grid of square matrices (attention weights per layer and head) and a labelled count
 * matrix (a confusion matrix). Darker is larger; each cell's value is in its tooltip.
 */
public final class HeatMap {

    private HeatMap() {
    }

    /**
     * A grid of matrices, one row of the grid per layer and one column per head, the tokens written along the
     * first map's axes (rows: queries, columns: keys). Each map is shaded relative to its own largest value, so
     * that nearly uniform maps still show their structure; the tooltips give the values.
     */
    public static String grid(List<String> tokens, double[][][][] maps, String rowLabel, String columnLabel) {
        int rows = maps.length, cols = maps[0].length, t = tokens.size();
        int cell = Math.max(6, Math.min(14, 180 / t)), side = cell * t, gap = 18, margin = 70;
        int width = margin + cols * (side + gap) + 10, height = 30 + rows * (side + gap) + margin;
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                + "font-family=\"sans-serif\" font-size=\"10\">%n", width, height, width, height));
        b.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        for (int c = 0; c < cols; c++) {
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"16\" text-anchor=\"middle\" font-size=\"12\">%s %d</text>%n",
                    margin + c * (side + gap) + side / 2, Plot.escape(columnLabel), c));
        }
        for (int r = 0; r < rows; r++) {
            int y0 = 24 + r * (side + gap);
            b.append(String.format(Locale.ROOT, "<text transform=\"translate(12,%d) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">%s %d</text>%n",
                    y0 + side / 2, Plot.escape(rowLabel), r));
            for (int c = 0; c < cols; c++) {
                int x0 = margin + c * (side + gap);
                double[][] m = maps[r][c];
                double top = 0;                                  // shade relative to the map's largest weight
                for (double[] row : m) {
                    for (double v : row) {
                        top = Math.max(top, v);
                    }
                }
                for (int i = 0; i < t; i++) {
                    for (int j = 0; j < t; j++) {
                        b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%s → %s: %.3f</title></rect>%n",
                                x0 + j * cell, y0 + i * cell, cell, cell, shade(top > 0 ? m[i][j] / top : 0), Plot.escape(tokens.get(i)),
                                Plot.escape(tokens.get(j)), m[i][j]));
                    }
                }
                b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>%n",
                        x0, y0, side, side));
                if (c == 0) {
                    for (int i = 0; i < t; i++) {
                        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"%d\">%s</text>%n",
                                x0 - 3, y0 + i * cell + cell - 2, Math.min(10, cell), Plot.escape(tokens.get(i))));
                    }
                }
                if (r == rows - 1) {
                    for (int j = 0; j < t; j++) {
                        int x = x0 + j * cell + cell - 2, y = y0 + side + 4;
                        b.append(String.format(Locale.ROOT, "<text transform=\"translate(%d,%d) rotate(60)\" font-size=\"%d\">%s</text>%n",
                                x, y, Math.min(10, cell), Plot.escape(tokens.get(j))));
                    }
                }
            }
        }
        b.append("</svg>\n");
        return b.toString();
    }

    /** A labelled matrix of counts, each cell shaded by its share of its row, with the count written in it. */
    public static String counts(List<String> rowLabels, List<String> columnLabels, int[][] counts, String rowTitle,
                                String columnTitle) {
        int cell = 90, left = 150, top = 60;
        int width = left + cell * columnLabels.size() + 20, height = top + cell * rowLabels.size() + 20;
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                + "font-family=\"sans-serif\" font-size=\"13\">%n", width, height, width, height));
        b.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"16\" text-anchor=\"middle\">%s</text>%n",
                left + cell * columnLabels.size() / 2, Plot.escape(columnTitle)));
        for (int j = 0; j < columnLabels.size(); j++) {
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    left + j * cell + cell / 2, top - 10, Plot.escape(columnLabels.get(j))));
        }
        b.append(String.format(Locale.ROOT, "<text transform=\"translate(16,%d) rotate(-90)\" text-anchor=\"middle\">%s</text>%n",
                top + cell * rowLabels.size() / 2, Plot.escape(rowTitle)));
        for (int i = 0; i < rowLabels.size(); i++) {
            int total = 0;
            for (int v : counts[i]) {
                total += v;
            }
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n",
                    left - 8, top + i * cell + cell / 2 + 4, Plot.escape(rowLabels.get(i))));
            for (int j = 0; j < columnLabels.size(); j++) {
                double share = total == 0 ? 0 : (double) counts[i][j] / total;
                b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"#888\"/>%n",
                        left + j * cell, top + i * cell, cell, cell, shade(share)));
                b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\">%d (%.0f%%)</text>%n",
                        left + j * cell + cell / 2, top + i * cell + cell / 2 + 4, share > 0.5 ? "white" : "black",
                        counts[i][j], 100 * share));
            }
        }
        b.append("</svg>\n");
        return b.toString();
    }

    /** White at 0 to dark blue at 1. */
    static String shade(double v) {
        double x = Math.max(0, Math.min(1, Double.isFinite(v) ? v : 0));
        int r = (int) Math.round(255 - x * (255 - 8)), g = (int) Math.round(255 - x * (255 - 48)), bl = (int) Math.round(255 - x * (255 - 107));
        return String.format(Locale.ROOT, "#%02x%02x%02x", r, g, bl);
    }
}
