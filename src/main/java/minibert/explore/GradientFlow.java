package minibert.explore;

import java.util.ArrayList;
import java.util.List;

import static minibert.explore.Stats.fmt;
import static minibert.explore.Stats.median;
import static minibert.explore.Stats.num;

/**
 * How the gradient flows through the layers of a run, read from its metrics log: each parameter group's gradient
 * norm (before clipping) and update-to-weight ratio ‖Δθ‖/‖θ‖ over training, and a diagnosis by stated rules.
 *
 * <p>The rules read the log points after warm-up (during warm-up the learning rate, and with it every update, is
 * small by design), or every point when fewer than {@value #MIN_POINTS} follow warm-up. The encoder layers are
 * compared with each other, log point by log point: r_l(k) is layer l's gradient norm at point k divided by the
 * median of the layers' norms at that point. The embeddings and the head are not compared with the layers: the
 * decoder is tied to the word embeddings, so the embeddings' gradient holds the output layer's own, and is larger
 * for that reason alone.
 * <ol>
 *   <li><b>vanishing</b>: a layer's median r_l(k) below 1/{@value #FACTOR}: it receives a tenth or less of the
 *       gradient the layers around it receive;</li>
 *   <li><b>exploding</b>: a layer's median r_l(k) above {@value #FACTOR};</li>
 *   <li><b>shrinking</b> or <b>growing</b> over time (any group): the median of its gradient norm over the last
 *       quarter of the points below 1/{@value #FACTOR} (or above {@value #FACTOR} times) its median over the first
 *       quarter;</li>
 *   <li><b>a spike</b>: the global gradient norm at one point more than {@value #FACTOR} times its median, or not a
 *       number;</li>
 *   <li><b>update ratio</b> (any group): a median ‖Δθ‖/‖θ‖ below {@value #RATIO_LOW} (it barely moves) or above
 *       {@value #RATIO_HIGH} (it is thrown about), a factor of ten from the usual 10⁻³.</li>
 * </ol>
 */
public final class GradientFlow {

    /** The factor that separates a normal spread of gradient norms from a vanishing or an exploding one. */
    public static final double FACTOR = 10;
    /** Below this median update ratio a group barely learns. */
    public static final double RATIO_LOW = 1e-4;
    /** Above this median update ratio a group is thrown about. */
    public static final double RATIO_HIGH = 1e-2;
    /** The fewest log points after warm-up the rules read; with fewer they read every point. */
    public static final int MIN_POINTS = 4;

    private GradientFlow() {
    }

    /**
     * One group's figures over the window.
     *
     * @param relative       for an encoder layer, its median r_l(k); NaN for the embeddings and the head
     * @param gradNorm       median gradient norm
     * @param updateRatio    median ‖Δθ‖/‖θ‖
     * @param weightNorm     median ‖θ‖
     * @param firstQuarter   median gradient norm over the window's first quarter (NaN with fewer than 4 points)
     * @param lastQuarter    median gradient norm over its last quarter
     */
    public record Summary(String group, double relative, double gradNorm, double updateRatio, double weightNorm, double firstQuarter,
                          double lastQuarter) {
    }

    /**
     * The diagnosis of a run.
     *
     * @param fromStep  the first step of the window the rules read
     * @param toStep    the last
     * @param points    log points in the window
     * @param reference the median over the log points of the encoder layers' median gradient norm
     * @param groups    every group's figures, in log order
     * @param findings  what the rules flagged, in the rules' order
     */
    public record Diagnosis(long fromStep, long toStep, int points, double reference, List<Summary> groups,
                            List<Finding> findings) {
    }

    /** The rules, as the diagnosis states them. */
    public static List<String> rules() {
        return List.of(
                "vanishing: an encoder layer's gradient norm, divided at each log point by the median of the layers' norms "
                        + "there, has a median below 1/" + (int) FACTOR,
                "exploding: that median above " + (int) FACTOR,
                "shrinking or growing: a group's median gradient norm over the last quarter of the window below 1/"
                        + (int) FACTOR + ", or above " + (int) FACTOR + " times, its median over the first quarter",
                "spike: the global gradient norm at a log point above " + (int) FACTOR + " times its median",
                "update ratio: a group's median ‖Δθ‖/‖θ‖ below " + num(RATIO_LOW) + " or above " + num(RATIO_HIGH));
    }

    /** Applies the rules to the training log points of {@code log}. */
    // tag::diagnose[]
    public static Diagnosis diagnose(RunLog log) {
        List<RunLog.TrainPoint> window = window(log);
        if (window.isEmpty()) {
            return new Diagnosis(0, 0, 0, Double.NaN, List.of(), List.of());
        }
        List<String> layers = log.groups().stream().filter(g -> g.startsWith("layer.")).toList();
        double[] layerMedian = new double[window.size()];                 // the median layer's norm at each point
        for (int k = 0; k < window.size(); k++) {
            double[] norms = new double[layers.size()];
            for (int l = 0; l < norms.length; l++) {
                RunLog.Group g = window.get(k).groups().get(layers.get(l));
                norms[l] = g == null ? Double.NaN : g.gradNorm();
            }
            layerMedian[k] = median(norms);
        }
        List<Summary> groups = new ArrayList<>();
        for (String g : log.groups()) {
            double[] norms = series(window, g, 0), ratios = series(window, g, 1), weights = series(window, g, 2);
            double relative = Double.NaN;
            if (layers.contains(g)) {
                double[] r = new double[norms.length];
                for (int k = 0; k < r.length; k++) {
                    r[k] = norms[k] / layerMedian[k];
                }
                relative = median(r);
            }
            int q = norms.length / 4;
            groups.add(new Summary(g, relative, median(norms), median(ratios), median(weights),
                    q == 0 ? Double.NaN : median(java.util.Arrays.copyOfRange(norms, 0, q)),
                    q == 0 ? Double.NaN : median(java.util.Arrays.copyOfRange(norms, norms.length - q, norms.length))));
        }
        double reference = median(layerMedian);
        String span = fmt("steps %,d–%,d", window.get(0).step(), window.get(window.size() - 1).step());
        List<Finding> findings = new ArrayList<>();
        for (Summary s : groups) {
            if (s.relative() < 1 / FACTOR) {
                findings.add(new Finding(s.group(), "vanishing", rules().get(0), fmt("over %s its gradient norm is a median "
                        + "1/%.0f of the median layer's (its own median %s, the median layer's %s)", span, 1 / s.relative(),
                        num(s.gradNorm()), num(reference)),
                        "check what feeds this layer (a LayerNorm's gain near zero, a residual path cut off)"));
            } else if (s.relative() > FACTOR) {
                findings.add(new Finding(s.group(), "exploding", rules().get(1), fmt("over %s its gradient norm is a median "
                        + "%.0f times the median layer's (its own median %s, the median layer's %s)", span, s.relative(),
                        num(s.gradNorm()), num(reference)), "a lower learning rate or a tighter max_grad_norm"));
            }
        }
        for (Summary s : groups) {
            double change = s.lastQuarter() / s.firstQuarter();
            if (change < 1 / FACTOR || change > FACTOR) {
                boolean grows = change > FACTOR;
                findings.add(new Finding(s.group(), grows ? "growing" : "shrinking", rules().get(2), fmt("median gradient norm %s "
                        + "over the first quarter of %s, %s over the last", num(s.firstQuarter()), span, num(s.lastQuarter())),
                        grows ? "read it with the loss: while the loss falls, a group that starts to receive gradient (lower layers "
                                + "once context helps) is healthy; with a rising loss, a lower learning rate" : ""));
            }
        }
        double[] global = window.stream().mapToDouble(RunLog.TrainPoint::gradNorm).toArray();
        double globalMedian = median(global);
        int worst = -1;
        for (int i = 0; i < global.length; i++) {
            boolean spike = !Double.isFinite(global[i]) || global[i] > FACTOR * globalMedian;
            if (spike && (worst < 0 || !(global[i] <= global[worst]))) {
                worst = i;
            }
        }
        if (worst >= 0) {
            findings.add(new Finding("gradient", "spike", rules().get(3), fmt("global gradient norm %s at step %,d, the "
                    + "median over %s is %s", num(global[worst]), window.get(worst).step(), span, num(globalMedian)),
                    "clipping (max_grad_norm) bounds the step; if spikes recur, a lower learning rate"));
        }
        for (Summary s : groups) {
            if (s.updateRatio() < RATIO_LOW || s.updateRatio() > RATIO_HIGH) {
                boolean low = s.updateRatio() < RATIO_LOW;
                findings.add(new Finding(s.group(), low ? "barely moves" : "thrown about", rules().get(4), fmt("median update "
                        + "ratio %s over %s, %.0f times %s", num(s.updateRatio()), span,
                        low ? 1e-3 / s.updateRatio() : s.updateRatio() / 1e-3, low ? "below 10⁻³" : "above 10⁻³"),
                        low ? "a higher learning rate, or check that the group is in the optimiser"
                                : "a lower learning rate or a longer warm-up"));
            }
        }
        return new Diagnosis(window.get(0).step(), window.get(window.size() - 1).step(), window.size(), reference,
                List.copyOf(groups), List.copyOf(findings));
    }
    // end::diagnose[]

    /** The log points after warm-up, or all of them when fewer than {@link #MIN_POINTS} follow it. */
    static List<RunLog.TrainPoint> window(RunLog log) {
        List<RunLog.TrainPoint> after = log.train().stream().filter(p -> p.step() > log.settings().warmupSteps()).toList();
        return after.size() >= MIN_POINTS ? after : log.train();
    }

    /** A group's gradient norms (0), update ratios (1) or weight norms (2) over the points; NaN where it is missing. */
    static double[] series(List<RunLog.TrainPoint> points, String group, int which) {
        double[] out = new double[points.size()];
        for (int i = 0; i < out.length; i++) {
            RunLog.Group g = points.get(i).groups().get(group);
            out[i] = g == null ? Double.NaN : which == 0 ? g.gradNorm() : which == 1 ? g.updateRatio() : g.weightNorm();
        }
        return out;
    }
}
