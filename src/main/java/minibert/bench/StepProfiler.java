package minibert.bench;

import minibert.model.Batch;
import minibert.nn.StepProfile;
import minibert.tensor.Fusion;
import minibert.train.Learner;
import minibert.train.MicroBatch;
import minibert.train.Tally;
import minibert.train.Update;
import minibert.train.UpdateReport;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a training step's time goes ({@link StepProfile}), with the fused kernels and with their separate passes
 * ({@link Fusion}), on one learner in one JVM: warm-up steps both ways first, then the two ways take turns, step
 * by step, so that a busy period of the shared machine slows both alike. Each step's clocks are kept; a clock's
 * figure is its median over the steps of its way, and the step's is the median of the steps' sums.
 */
public final class StepProfiler {

    /** The figures of one way: {@code nanos[layer + 1][op][0 forward, 1 backward]}, medians over the steps. */
    public record Profile(String way, int steps, double[][][] nanos, double medianStepNanos, double minStepNanos,
                          double maxStepNanos, int layers) {

        /** The median nanoseconds of {@code op}, forward and backward, summed over every layer and outside them. */
        public double total(StepProfile.Op op) {
            double t = 0;
            for (double[][] layer : nanos) {
                t += layer[op.ordinal()][0] + layer[op.ordinal()][1];
            }
            return t;
        }
    }

    private StepProfiler() {
    }

    /**
     * Profiles {@code steps} steps each way after {@code warmUp} untimed steps each way; {@code layers} is the
     * model's encoder layer count. Leaves the kernels fused.
     */
    public static List<Profile> run(Learner learner, Batch batch, int layers, int warmUp, int steps, double learningRate) {
        int ops = StepProfile.Op.values().length;
        UpdateReport report = new UpdateReport();
        Tally tally = new Tally();
        long[][][][][] clocks = new long[2][steps][layers + 1][ops][2];     // [way][step][layer + 1][op][direction]
        double[][] totals = new double[2][steps];
        try {
            for (int i = 0; i < 2 * warmUp; i++) {
                Fusion.separatePasses(i % 2 == 0);
                step(learner, batch, i, learningRate, tally, report);
            }
            for (int s = 0; s < steps; s++) {
                for (int k = 0; k < 2; k++) {
                    int way = (s + k) % 2;                                  // which goes first turns each step
                    Fusion.separatePasses(way == 0);
                    StepProfile.start();
                    step(learner, batch, 2 * warmUp + 2 * s + k, learningRate, tally, report);
                    StepProfile.stop();
                    for (int l = -1; l < layers; l++) {
                        for (StepProfile.Op op : StepProfile.Op.values()) {
                            for (int d = 0; d < 2; d++) {
                                long n = StepProfile.nanos(l, op, d == 1);
                                clocks[way][s][l + 1][op.ordinal()][d] = n;
                                totals[way][s] += n;
                            }
                        }
                    }
                }
            }
        } finally {
            StepProfile.stop();
            Fusion.separatePasses(false);
        }
        List<Profile> out = new ArrayList<>();
        for (int way = 0; way < 2; way++) {
            double[][][] medians = new double[layers + 1][ops][2];
            double[] values = new double[steps];
            for (int l = 0; l <= layers; l++) {
                for (int op = 0; op < ops; op++) {
                    for (int d = 0; d < 2; d++) {
                        for (int s = 0; s < steps; s++) {
                            values[s] = clocks[way][s][l][op][d];
                        }
                        medians[l][op][d] = Sample.of(values).median();
                    }
                }
            }
            Sample step = Sample.of(totals[way]);
            out.add(new Profile(way == 0 ? "separate passes" : "fused", steps, medians, step.median(), step.min(), step.max(),
                    layers));
        }
        return out;
    }

    /** One step as the trainer takes it: the micro-batch's forward and backward passes, then the update. */
    private static void step(Learner l, Batch batch, long step, double lr, Tally tally, UpdateReport report) {
        StepProfile.resume();
        l.accumulate(new MicroBatch(batch, step, 1, true), tally);
        l.update(new Update(lr, 1.0), report);
    }
}
