package minibert.bench;

import java.util.Arrays;
import java.util.Locale;

/**
 * Two variants measured in the same rounds, one run of each per round, compared round by round. On a machine
 * shared with other work a busy period slows both runs of a round alike, so the ratio of the two within a round
 * is steadier than either figure alone; the verdict rests on those ratios.
 *
 * <p>The rule: variant a is {@link Verdict#FASTER} when it was faster in at least {@value #AGREEMENT} of the
 * rounds and its median ratio is at least 1 + {@value #MARGIN}; {@link Verdict#SLOWER} the other way round;
 * otherwise there is {@link Verdict#NO_CLEAR_DIFFERENCE}. The rounds are also judged in two halves: when the
 * halves reach different verdicts, the machine did not agree with itself during the run, and the verdict of the
 * whole is not to be trusted ({@link #halvesAgree()}).
 *
 * @param ratios a's rate ÷ b's rate, one per round, in the order measured
 */
public record Comparison(double[] ratios) {

    /** The share of rounds one variant must win. */
    public static final double AGREEMENT = 0.8;
    /** The least median advantage that counts as a difference. */
    public static final double MARGIN = 0.03;

    /** What the rounds say about variant a against variant b. */
    public enum Verdict {
        FASTER, SLOWER, NO_CLEAR_DIFFERENCE
    }

    public Comparison {
        ratios = ratios.clone();
    }

    /**
     * From the two variants' rates (higher is faster), round by round.
     *
     * @param a rates of variant a, one per round; not modified
     * @param b rates of variant b in the same rounds; not modified
     */
    public static Comparison ofRates(double[] a, double[] b) {
        if (a.length != b.length || a.length == 0) {
            throw new IllegalArgumentException("rounds: " + a.length + " against " + b.length);
        }
        double[] r = new double[a.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = a[i] / b[i];
        }
        return new Comparison(r);
    }

    /** From the two variants' times (lower is faster), round by round. */
    public static Comparison ofTimes(double[] a, double[] b) {
        return ofRates(b, a);
    }

    public int rounds() {
        return ratios.length;
    }

    /** The rounds in which a was faster. */
    public int wins() {
        return (int) Arrays.stream(ratios).filter(r -> r > 1).count();
    }

    /** The median of the ratios. */
    public double median() {
        return Sample.of(ratios).median();
    }

    /** The ratios' own spread: the smallest and the largest. */
    public Sample sample() {
        return Sample.of(ratios);
    }

    public Verdict verdict() {
        return verdict(ratios);
    }

    /** Whether the first and the second half of the rounds reach the same verdict. */
    public boolean halvesAgree() {
        int h = ratios.length / 2;
        return h > 0 && verdict(Arrays.copyOfRange(ratios, 0, h)) == verdict(Arrays.copyOfRange(ratios, h, ratios.length));
    }

    /** The verdict, or NO_CLEAR_DIFFERENCE when the halves disagree: what a sentence may claim. */
    public Verdict trusted() {
        return halvesAgree() ? verdict() : Verdict.NO_CLEAR_DIFFERENCE;
    }

    /** e.g. "1.08× (0.97–1.12), faster in 9 of 11 rounds". */
    public String describe() {
        Sample s = sample();
        return String.format(Locale.ROOT, "%.2f× (%.2f–%.2f), faster in %d of %d rounds", median(), s.min(), s.max(),
                wins(), rounds());
    }

    private static Verdict verdict(double[] r) {
        int n = r.length, wins = 0, losses = 0;
        for (double x : r) {
            wins += x > 1 ? 1 : 0;
            losses += x < 1 ? 1 : 0;
        }
        double median = Sample.of(r).median();
        if (wins >= AGREEMENT * n && median >= 1 + MARGIN) {
            return Verdict.FASTER;
        }
        if (losses >= AGREEMENT * n && median <= 1 / (1 + MARGIN)) {
            return Verdict.SLOWER;
        }
        return Verdict.NO_CLEAR_DIFFERENCE;
    }
}
