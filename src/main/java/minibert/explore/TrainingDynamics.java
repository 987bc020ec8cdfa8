package minibert.explore;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

import static minibert.explore.Stats.fmt;
import static minibert.explore.Stats.num;

/**
 * The phases of a masked-language-model run, detected in its training log by stated rules, and suggestions drawn
 * from the same rules.
 *
 * <p>A model that knows nothing loses ln V per masked token; one that knows how often each piece occurs, and
 * nothing of its context, loses the unigram loss U (the cross-entropy of the pieces' frequencies,
 * {@link minibert.train.Unigram}). Training first falls from ln V to near U (frequencies are easy), often stays
 * there a while (the plateau), then drops below it as attention starts to carry context. With ℓ_k the loss of
 * log point k (the mean over the steps since the last), b = {@value #BAND} nats and c = {@value #CONFIRM}:
 * <ul>
 *   <li>the <b>plateau</b> starts at the first point with ℓ_k ≤ U + b;</li>
 *   <li><b>context helps</b> from the first point after it with ℓ_k &lt; U − b, when the c − 1 points after it
 *       (as many as the log has) are below U − b too, so that one lucky window does not count;</li>
 *   <li>a <b>divergence</b>: after warm-up, a loss that is not a number, or c consecutive losses more than
 *       {@value #DIVERGENCE} nats above the lowest loss so far;</li>
 *   <li>a plateau that <b>outlasts warm-up</b>: it still holds more steps after warm-up ended than warm-up lasted.</li>
 * </ul>
 * Without U (no cache of the run's corpus at hand) the plateau rules are not applied, and the analysis says so.
 */
public final class TrainingDynamics {

    /** b: how close to the unigram loss counts as on it, in nats. */
    public static final double BAND = 0.15;
    /** c: consecutive log points that confirm a drop or a divergence. */
    public static final int CONFIRM = 3;
    /** How far above its lowest value so far a loss has diverged, in nats. */
    public static final double DIVERGENCE = 0.5;

    private TrainingDynamics() {
    }

    /**
     * A stretch of training.
     *
     * @param name     {@code frequencies}, {@code plateau} or {@code context}
     * @param fromStep its first log point's step
     * @param toStep   its last log point's step (a phase that lasts to the end of the log ends at its last step)
     */
    public record Phase(String name, long fromStep, long toStep) {
    }

    /**
     * What the rules found.
     *
     * @param unigram      U, when known
     * @param lnV          ln V
     * @param plateauStart the step the plateau starts at, or -1
     * @param contextStep  the step from which context helps, or -1
     * @param phases       the phases, in order
     * @param findings     divergence, a plateau that outlasts warm-up, and the gradient-flow diagnosis's findings
     * @param flow         the gradient-flow diagnosis
     */
    public record Analysis(RunLog log, OptionalDouble unigram, double lnV, long plateauStart, long contextStep,
                           List<Phase> phases, List<Finding> findings, GradientFlow.Diagnosis flow) {
    }

    /** The rules, as the analysis states them. */
    public static List<String> rules() {
        return List.of(
                "the plateau starts at the first log point whose loss is at most the unigram loss U + " + BAND + " nats",
                "context helps from the first log point after it whose loss is below U − " + BAND + ", and the next "
                        + (CONFIRM - 1) + " too",
                "diverges: after warm-up, a loss that is not a number, or " + CONFIRM + " log points in a row more than "
                        + DIVERGENCE + " nats above the lowest loss so far",
                "outlasts warm-up: the plateau still holds more steps after warm-up ended than warm-up lasted");
    }

    /** Applies the rules to {@code log}; {@code unigram} is U on the run's held-out masks, when known. */
    public static Analysis analyse(RunLog log, OptionalDouble unigram) {
        return analyse(log, unigram, BAND);
    }

    /** As {@link #analyse(RunLog, OptionalDouble)}, with a band of {@code band} nats around U instead of b. */
    // tag::analyse[]
    public static Analysis analyse(RunLog log, OptionalDouble unigram, double band) {
        List<RunLog.TrainPoint> points = log.train();
        double lnV = Math.log(log.settings().vocabSize());
        long warmup = log.settings().warmupSteps();
        List<Finding> findings = new ArrayList<>();
        List<Phase> phases = new ArrayList<>();
        long plateauStart = -1, contextStep = -1;
        if (!points.isEmpty() && unigram.isPresent()) {
            double u = unigram.getAsDouble();
            int start = -1, context = -1;
            for (int k = 0; k < points.size() && start < 0; k++) {
                start = points.get(k).loss() <= u + band ? k : -1;
            }
            for (int k = Math.max(start, 0); start >= 0 && k < points.size() && context < 0; k++) {
                boolean below = true;
                for (int j = k; j < Math.min(points.size(), k + CONFIRM); j++) {
                    below &= points.get(j).loss() < u - band;
                }
                context = below ? k : -1;
            }
            long first = points.get(0).step(), last = points.get(points.size() - 1).step();
            if (start < 0) {
                phases.add(new Phase("frequencies", first, last));
            } else {
                plateauStart = points.get(start).step();
                if (start > 0) {
                    phases.add(new Phase("frequencies", first, points.get(start - 1).step()));
                }
                if (context != start) {
                    long end = context < 0 ? last : points.get(context - 1).step();
                    phases.add(new Phase("plateau", plateauStart, end));
                    long past = end - Math.max(warmup, plateauStart);
                    if (end > warmup && past > warmup) {
                        findings.add(new Finding("loss", "plateau outlasts warm-up", rules().get(3), fmt("the loss stayed "
                                + "within %s nats of U = %s from step %,d to step %,d%s, %,d steps after warm-up ended at step "
                                + "%,d", band, num(u), plateauStart, end, context < 0 ? " (the end of the log)" : "", past, warmup),
                                context < 0
                                        ? "the model does not use context yet; a higher peak learning rate, or training longer; "
                                                + "check that the attention mask and the masking are right"
                                        : fmt("the model was slow to start using context (it did from step %,d); a higher peak "
                                                + "learning rate may shorten the plateau", points.get(context).step())));
                    }
                }
                if (context >= 0) {
                    contextStep = points.get(context).step();
                    phases.add(new Phase("context", contextStep, last));
                }
            }
        }
        divergence(points, warmup, findings);
        GradientFlow.Diagnosis flow = GradientFlow.diagnose(log);
        findings.addAll(flow.findings());
        return new Analysis(log, unigram, lnV, plateauStart, contextStep, List.copyOf(phases), List.copyOf(findings), flow);
    }
    // end::analyse[]

    /** The divergence rule: the first non-finite loss after warm-up, or the first of c losses far above the minimum. */
    private static void divergence(List<RunLog.TrainPoint> points, long warmup, List<Finding> findings) {
        double lowest = Double.POSITIVE_INFINITY;
        long lowestStep = -1;
        int run = 0;
        for (int k = 0; k < points.size(); k++) {
            RunLog.TrainPoint p = points.get(k);
            boolean after = p.step() > warmup;
            if (after && !Double.isFinite(p.loss())) {
                findings.add(new Finding("loss", "diverges", rules().get(2), fmt("the loss at step %,d is not a number "
                        + "(warm-up ended at step %,d)", p.step(), warmup), "a lower peak learning rate or a longer warm-up; "
                        + "resume from the last checkpoint before the step"));
                return;
            }
            run = after && p.loss() > lowest + DIVERGENCE ? run + 1 : 0;
            if (run == CONFIRM) {
                RunLog.TrainPoint from = points.get(k - CONFIRM + 1);
                findings.add(new Finding("loss", "diverges", rules().get(2), fmt("from step %,d the loss (%s at step %,d, %s at "
                        + "step %,d) stays more than %s nats above its lowest value %s at step %,d (warm-up ended at step %,d)",
                        from.step(), num(from.loss()), from.step(), num(p.loss()), p.step(), DIVERGENCE, num(lowest),
                        lowestStep, warmup), "a lower peak learning rate or a longer warm-up"));
                return;
            }
            if (p.loss() < lowest) {
                lowest = p.loss();
                lowestStep = p.step();
            }
        }
    }
}
