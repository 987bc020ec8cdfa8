package minibert.bench;

import java.util.Arrays;

/**
 * The repeated runs of one measured figure: their median, the slowest and the fastest, and how far apart those
 * lie. A figure is shown with its spread so that a reader can see whether two figures differ by more than one
 * of them differs from itself.
 *
 * @param values every run's value, ascending (NaN, for a run that measured nothing, is left out)
 */
public record Sample(double[] values) {

    public Sample {
        values = Arrays.stream(values).filter(v -> !Double.isNaN(v)).sorted().toArray();
    }

    /** The runs' values, in any order; NaN is left out. */
    public static Sample of(double... values) {
        return new Sample(values);
    }

    /** The number of runs that measured something. */
    public int runs() {
        return values.length;
    }

    /** The median; the mean of the middle two for an even count; NaN when no run measured anything. */
    public double median() {
        int n = values.length;
        if (n == 0) {
            return Double.NaN;
        }
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    public double min() {
        return values.length == 0 ? Double.NaN : values[0];
    }

    public double max() {
        return values.length == 0 ? Double.NaN : values[values.length - 1];
    }

    /** (max − min) / median: 0.1 means the runs lie within a tenth of the median of each other. */
    public double spread() {
        return (max() - min()) / median();
    }

    /** Each value divided into {@code numerator}: rates from times, or times from rates. */
    public Sample inverse(double numerator) {
        return new Sample(Arrays.stream(values).map(v -> numerator / v).toArray());
    }
}
