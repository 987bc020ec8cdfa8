package minibert.explore;

import java.util.Arrays;
import java.util.Locale;

/** Small helpers shared by the analyses: medians that pass over NaN, and numbers formatted for people. */
final class Stats {

    private Stats() {
    }

    /** The median of the finite values, or NaN when there are none. */
    static double median(double[] values) {
        double[] v = Arrays.stream(values).filter(Double::isFinite).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** A number in three significant digits, in scientific notation when very small or large. */
    static String num(double v) {
        if (!Double.isFinite(v)) {
            return Double.isNaN(v) ? "not a number" : v > 0 ? "+∞" : "−∞";
        }
        double a = Math.abs(v);
        if (a != 0 && (a < 1e-2 || a >= 1e5)) {
            return String.format(Locale.ROOT, "%.2e", v);
        }
        return String.format(Locale.ROOT, "%.3g", v);
    }

    static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
