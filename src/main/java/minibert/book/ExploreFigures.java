package minibert.book;

import minibert.explore.RunLog;
import minibert.explore.TrainingDynamics;

import java.util.List;

/**
 * The charts of training dynamics that the book and {@code minibert analyze --plot} both draw: loss and masked
 * accuracy against steps or tokens seen, the learning rate on a second axis, the baselines, and the phases the
 * rules detected marked where they start.
 */
public final class ExploreFigures {

    private ExploreFigures() {
    }

    /**
     * The training loss of each run (and its held-out evaluations as points), its learning rate on the right axis,
     * ln V and each known unigram loss as dashed lines, and a marker where each run's plateau starts and where
     * context starts to help.
     *
     * @param tokens x is tokens seen instead of steps
     */
    public static Plot loss(List<TrainingDynamics.Analysis> runs, boolean tokens) {
        Plot plot = Plot.of(tokens ? "tokens seen" : "step", "loss (nats per masked token)");
        boolean several = runs.size() > 1;
        for (TrainingDynamics.Analysis a : runs) {
            RunLog log = a.log();
            String name = several ? log.name() + ": " : "";
            List<RunLog.TrainPoint> train = log.train();
            double[] x = new double[train.size()], loss = new double[train.size()], lr = new double[train.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = tokens ? train.get(i).tokens() : train.get(i).step();
                loss[i] = train.get(i).loss();
                lr[i] = train.get(i).lr();
            }
            plot.line(name + "training loss", x, loss);
            double perToken = log.settings().tokensPerStep();
            double[] ex = log.eval().stream().mapToDouble(e -> tokens ? e.step() * perToken : e.step()).toArray();
            double[] ey = log.eval().stream().mapToDouble(RunLog.EvalPoint::loss).toArray();
            if (ex.length > 0) {
                plot.points(name + "held out", ex, ey, null);
            }
            plot.lineRight(name + "learning rate", "learning rate", x, lr);
            if (a.unigram().isPresent()) {
                plot.reference(name + "unigram loss U", a.unigram().getAsDouble());
            }
            if (a.plateauStart() >= 0 && a.plateauStart() != a.contextStep()) {
                plot.marker(name + "plateau", tokens ? a.plateauStart() * perToken : a.plateauStart());
            }
            if (a.contextStep() >= 0) {
                plot.marker(name + "context helps", tokens ? a.contextStep() * perToken : a.contextStep());
            }
        }
        plot.reference("ln V", runs.get(0).lnV());
        return plot;
    }

    /** Masked accuracy of each run against steps or tokens, training and held out, with the learning rate on the right. */
    public static Plot accuracy(List<TrainingDynamics.Analysis> runs, boolean tokens) {
        Plot plot = Plot.of(tokens ? "tokens seen" : "step", "masked accuracy");
        boolean several = runs.size() > 1;
        for (TrainingDynamics.Analysis a : runs) {
            RunLog log = a.log();
            String name = several ? log.name() + ": " : "";
            List<RunLog.TrainPoint> train = log.train();
            double[] x = new double[train.size()], acc = new double[train.size()], lr = new double[train.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = tokens ? train.get(i).tokens() : train.get(i).step();
                acc[i] = train.get(i).accuracy();
                lr[i] = train.get(i).lr();
            }
            plot.line(name + "training", x, acc);
            double perToken = log.settings().tokensPerStep();
            double[] ex = log.eval().stream().mapToDouble(e -> tokens ? e.step() * perToken : e.step()).toArray();
            if (ex.length > 0) {
                plot.points(name + "held out", ex, log.eval().stream().mapToDouble(RunLog.EvalPoint::accuracy).toArray(), null);
            }
            plot.lineRight(name + "learning rate", "learning rate", x, lr);
        }
        return plot;
    }
}
