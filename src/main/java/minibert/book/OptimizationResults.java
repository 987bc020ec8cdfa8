package minibert.book;

import minibert.config.TrainConfig;
import minibert.train.Schedule;

import java.nio.file.Path;
import java.util.Locale;

/**
 * The "Optimization" chapter's figures: the learning-rate schedule of the configured pre-training run, the
 * bias-correction factors of Adam's moments, and the answers to the chapter's exercises, each computed from the
 * configuration the chapter describes.
 */
public final class OptimizationResults implements ResultProducer {

    @Override
    public String name() {
        return "optimization";
    }

    @Override
    public void produce(Results results) {
        Path file = ProjectFiles.projectDir().resolve("configs/train/pretrain.yaml");
        TrainConfig c = TrainConfig.load(file);
        Schedule schedule = new Schedule(c.learningRate(), c.warmupSteps(), c.steps());
        int points = 401;
        double[] x = new double[points], y = new double[points];
        for (int i = 0; i < points; i++) {
            long step = Math.min(c.steps() - 1, Math.round((double) i * c.steps() / (points - 1)));
            x[i] = step;
            y[i] = schedule.learningRate(step);
        }
        results.publish("optimization/schedule").config(file)
                .attribute("peak", fmt("%.1e", c.learningRate()))
                .attribute("warmup", fmt("%,d", c.warmupSteps()))
                .attribute("steps", fmt("%,d", c.steps()))
                .attribute("first", fmt("%.2e", schedule.learningRate(0)))
                .attribute("last", fmt("%.2e", schedule.learningRate(c.steps() - 1)))
                .attribute("halfway", fmt("%.2e", schedule.learningRate(c.steps() / 2)))
                .plot("The learning rate of configs/train/pretrain.yaml, step by step", Plot.of("step", "learning rate").line("lr", x, y));

        // Bias correction: after t steps the moments have gathered 1 − β^t of their weight.
        double b1 = c.beta1(), b2 = c.beta2();
        int[] ts = {1, 2, 10, 100, 1000, 10000};
        var rows = new java.util.ArrayList<java.util.List<Object>>();
        for (int t : ts) {
            rows.add(java.util.List.of(t, fmt("%.4f", 1 - Math.pow(b1, t)), fmt("%.4f", 1 - Math.pow(b2, t))));
        }
        int v99 = (int) Math.ceil(Math.log(0.01) / Math.log(b2));
        int m99 = (int) Math.ceil(Math.log(0.01) / Math.log(b1));
        results.publish("optimization/bias-correction").config(file)
                .attribute("beta1", fmt("%.3f", b1))
                .attribute("beta2", fmt("%.3f", b2))
                .attribute("first-step-ratio", fmt("%.2f", (1 - b1) / Math.sqrt(1 - b2)))
                .attribute("v-99", fmt("%,d", v99))
                .attribute("m-99", fmt("%,d", m99))
                .attribute("epsilon", fmt("%.0e", c.epsilon()))
                .attribute("weight-decay", fmt("%.2f", c.weightDecay()))
                .attribute("max-grad-norm", fmt("%.1f", c.maxGradNorm()))
                .attribute("decay-per-step", fmt("%.1e", c.learningRate() * c.weightDecay()))
                .attribute("decay-over-run", fmt("%.3f", decayOverRun(schedule, c)))
                .attribute("decay-estimate", fmt("%.3f", Math.exp(-c.weightDecay() * c.learningRate() * c.steps() / 2)))
                .table("The share 1 − βᵗ of its final weight that each moment has gathered after t steps",
                        java.util.List.of("t", "m: 1 − β₁ᵗ", "v: 1 − β₂ᵗ"), rows);
    }

    /** The factor Π(1 − lr_t·λ) that decoupled decay alone would shrink a weight by over the whole schedule. */
    static double decayOverRun(Schedule s, TrainConfig c) {
        double log = 0;
        for (long t = 0; t < c.steps(); t++) {
            log += Math.log1p(-s.learningRate(t) * c.weightDecay());
        }
        return Math.exp(log);
    }

    private static String fmt(String f, Object... a) {
        return String.format(Locale.ROOT, f, a);
    }
}
