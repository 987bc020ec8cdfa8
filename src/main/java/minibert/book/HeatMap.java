package minibert.book;

import java.util.Locale;

/**
 * A table of numbers drawn as coloured cells, in one or more panels side by side that share their rows and columns
 * (the same statistics of the same heads, for two models). A cell's shade is its value over its row's scale, so
 * that rows of different units (an entropy in nats, a share) sit in one picture; each cell also shows its value.
 */
final class HeatMap {

    private static final int CELL_W = 40;
    private static final int CELL_H = 24;
    private static final int LABEL_W = 120;
    private static final int GAP = 24;
    private static final int TOP = 46;

    private HeatMap() {
    }

    /**
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
