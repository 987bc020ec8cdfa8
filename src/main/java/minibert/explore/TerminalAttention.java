package minibert.explore;

import org.ejml.data.DMatrixRMaj;

import java.util.Locale;

/**
 * One head's attention drawn in a terminal: a heat map of shaded blocks, a row per query and a column per key,
 * then each token's most attended token.
 *
 * <pre>
 * weight  [0, 0.05)  [0.05, 0.15)  [0.15, 0.35)  [0.35, 0.6)  [0.6, 1]
 * shade      ·          ░             ▒             ▓            █
 * </pre>
 *
 * The steps are fixed rather than scaled to the head, so that two heads' maps compare: uniform attention over 20
 * positions (0.05 each) is all dots, a head that puts most of each row on one key is one black block per row.
 */
public final class TerminalAttention {

    /** The lower bounds of the shades after the first. */
    static final double[] STEPS = {0.05, 0.15, 0.35, 0.6};
    static final char[] SHADES = {'·', '░', '▒', '▓', '█'};

    private TerminalAttention() {
    }

    /** The shade of one weight. */
    static char shade(double w) {
        int s = 0;
        while (s < STEPS.length && w >= STEPS[s]) {
            s++;
        }
        return SHADES[s];
    }

    /**
     * The heat map and the most attended tokens.
     *
     * @param p      the head's weights [n, n]. Not modified.
     * @param tokens the n pieces
     */
    public static String render(DMatrixRMaj p, String[] tokens, String title) {
        int n = tokens.length, label = 4;
        for (String t : tokens) {
            label = Math.max(label, Math.min(t.length(), 14));
        }
        int cell = n <= 30 ? 2 : 1;                          // two characters make a cell about square
        StringBuilder b = new StringBuilder(title).append('\n');
        b.append(" ".repeat(label + 6));
        for (int j = 0; j < n; j++) {
            String digit = Integer.toString(j % 10);
            b.append(cell == 2 ? digit + " " : digit);
        }
        b.append("   (key positions, mod 10)\n");
        for (int i = 0; i < n; i++) {
            b.append(String.format(Locale.ROOT, "%3d  %-" + label + "s ", i, clip(tokens[i], label)));
            for (int j = 0; j < n; j++) {
                char c = shade(p.get(i, j));
                b.append(c);
                if (cell == 2) {
                    b.append(c == '·' ? ' ' : c);
                }
            }
            b.append('\n');
        }
        b.append(String.format(Locale.ROOT, "shades: · below %.2f, ░ from %.2f, ▒ from %.2f, ▓ from %.2f, █ from %.2f%n",
                STEPS[0], STEPS[0], STEPS[1], STEPS[2], STEPS[3]));
        b.append("\nMost attended token of each token:\n");
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 1; j < n; j++) {
                best = p.get(i, j) > p.get(i, best) ? j : best;
            }
            b.append(String.format(Locale.ROOT, "%3d  %-" + label + "s → %3d  %-" + label + "s %.3f%n", i, clip(tokens[i], label),
                    best, clip(tokens[best], label), p.get(i, best)));
        }
        return b.toString();
    }

    private static String clip(String s, int width) {
        return s.length() <= width ? s : s.substring(0, width - 1) + "…";
    }
}
