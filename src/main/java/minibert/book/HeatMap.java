package minibert.book;

import java.util.List;
import java.util.Locale;

/**
 * Heat maps as SVG: a grid of square matrices (attention weights per layer and head), a labelled count
 * matrix (a confusion matrix), and a table of numbers drawn as coloured cells in panels side by side (the same
 * statistics of the same heads, for two models). Darker is larger.
 */
public final class HeatMap {

    private static final int CELL_W = 40;
    private static final int CELL_H = 24;
    private static final int LABEL_W = 120;
    private static final int GAP = 24;
    private static final int TOP = 46;

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

    /**
     * A table of numbers as coloured cells, in one or more panels side by side that share their rows and columns.
     * A cell's shade is its value over its row's scale, so that rows of different units (an entropy in nats, a
     * share) sit in one picture; each cell also shows its value.
     *
     * @param panels   a title per panel
     * @param rows     the row labels
     * @param columns  the column labels (shared by every panel)
     * @param values   [panel][row][column]
     * @param scale    the value of a full shade, per row (a value at or above it is darkest)
     * @param format   how a value is printed in its cell, e.g. {@code %.2f}
     */
    static String svg(String[] panels, String[] rows, String[] columns, double[][][] values, double[] scale, String format) {
        int panelW = columns.length * CELL_W;
        int width = LABEL_W + panels.length * panelW + (panels.length - 1) * GAP + 10;
        int height = TOP + rows.length * CELL_H + 10;
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                + "font-family=\"sans-serif\" font-size=\"11\">%n", width, height, width, height));
        b.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        for (int r = 0; r < rows.length; r++) {
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n", LABEL_W - 6,
                    TOP + r * CELL_H + CELL_H / 2 + 4, Plot.escape(rows[r])));
        }
        for (int p = 0; p < panels.length; p++) {
            int x0 = LABEL_W + p * (panelW + GAP);
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"14\" text-anchor=\"middle\" font-weight=\"bold\">%s</text>%n",
                    x0 + panelW / 2, Plot.escape(panels[p])));
            for (int c = 0; c < columns.length; c++) {
                b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                        x0 + c * CELL_W + CELL_W / 2, TOP - 8, Plot.escape(columns[c])));
            }
            for (int r = 0; r < rows.length; r++) {
                for (int c = 0; c < columns.length; c++) {
                    double v = values[p][r][c];
                    double t = Double.isFinite(v) && scale[r] > 0 ? Math.max(0, Math.min(1, v / scale[r])) : 0;
                    int red = (int) Math.round(255 - t * (255 - 31)), green = (int) Math.round(255 - t * (255 - 119)),
                            blue = (int) Math.round(255 - t * (255 - 180));
                    int x = x0 + c * CELL_W, y = TOP + r * CELL_H;
                    b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"rgb(%d,%d,%d)\" "
                            + "stroke=\"#fff\"/>%n", x, y, CELL_W, CELL_H, red, green, blue));
                    b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\">%s</text>%n",
                            x + CELL_W / 2, y + CELL_H / 2 + 4, t > 0.55 ? "#fff" : "#222",
                            Double.isFinite(v) ? String.format(Locale.ROOT, format, v) : "–"));
                }
            }
        }
        b.append("</svg>\n");
        return b.toString();
    }
}
