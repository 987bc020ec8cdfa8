package minibert.book;

import com.fasterxml.jackson.databind.JsonNode;
import minibert.bench.StepBenchmark;
import minibert.config.ModelConfig;
import minibert.config.TrainConfig;
import minibert.model.Batch;
import minibert.train.Learner;
import minibert.train.OverfitOneBatch;
import minibert.train.Pretraining;
import minibert.train.RunDirectory;
import minibert.train.Tally;
import minibert.train.Trainer;
import minibert.train.Unigram;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The "Training" chapter's live figures: the short pre-training run this build performs at the real model
 * size (its curves beside the loss of a uniform guess and of the unigram distribution, held-out perplexity,
 * tokens per second, per-layer gradient norms and update ratios), the training step timed in both precisions
 * with its allocation per step, a JVM of 512 MB training at batch 32 × 64, and the overfit-one-batch check.
 */
public final class TrainingResults implements ResultProducer {

    @Override
    public String name() {
        return "training";
    }

    @Override
    public void produce(Results results) throws Exception {
        Pretraining p = BookData.shortRun();
        shortRun(results, p);
        step(results, p);
        memoryProbe(results, p);
        overfit(results, p);
    }

    // ---------------------------------------------------------------- the short run

    private static void shortRun(Results results, Pretraining p) throws IOException {
        TrainConfig cfg = p.config();
        ModelConfig model = p.modelConfig();
        Path configFile = ProjectFiles.projectDir().resolve(BookData.SHORT_CONFIG);
        List<double[]> steps = new ArrayList<>();                 // step, loss, accuracy, gradient norm, lr
        List<double[]> evals = new ArrayList<>();                 // step, loss, accuracy, perplexity
        Trainer trainer = p.trainer(new Trainer.Listener() {
            @Override
            public void step(Trainer.StepReport r) {
                steps.add(new double[] {r.step(), r.loss(), r.accuracy(), r.gradientNorm(), r.learningRate()});
            }

            @Override
            public void evaluated(long step, Tally heldOut) {
                evals.add(new double[] {step, heldOut.loss(), heldOut.accuracy(), heldOut.perplexity()});
            }
        });
        Tally initial = Trainer.evaluateHeldOut(p.learner(), p.heldOutCache(), p.masking(), cfg);
        evals.add(new double[] {0, initial.loss(), initial.accuracy(), initial.perplexity()});
        StepBenchmark.resetPeakHeap();
        long t0 = System.nanoTime();
        Trainer.Outcome outcome = trainer.run(cfg.steps());
        double seconds = (System.nanoTime() - t0) / 1e9;
        long peak = StepBenchmark.peakHeapBytes();
        if (outcome != Trainer.Outcome.FINISHED) {
            throw new IllegalStateException("the short run ended " + outcome + " at step " + p.learner().steps());
        }
        Unigram unigram = Unigram.fit(p.trainCache(), model.vocabSize());
        Tally uni = unigram.heldOut(p.heldOutCache(), p.masking(), cfg);
        double lnV = Math.log(model.vocabSize());
        double[] last = evals.get(evals.size() - 1);
        long tokens = (long) cfg.steps() * cfg.gradientAccumulation() * cfg.batchSize() * cfg.sequenceLength();
        double[] shares = trainer.timeShares();
        double outside = shares[0] + shares[2];
        // the first step at which the held-out loss fell below the unigram baseline: context starts to help
        String belowUnigram = "not within this run";
        for (double[] e : evals) {
            if (e[1] < uni.loss()) {
                belowUnigram = fmt("step %,d", (long) e[0]);
                break;
            }
        }
        Publication pub = results.publish("training/short-run").seed(cfg.seed()).config(configFile)
                .attribute("steps", fmt("%,d", cfg.steps()))
                .attribute("batch", cfg.batchSize() + " × " + cfg.sequenceLength())
                .attribute("documents", fmt("%,d", cfg.documentLimit()))
                .attribute("sequences", fmt("%,d", p.trainCache().size()))
                .attribute("held-out-sequences", fmt("%,d", p.heldOutCache().size()))
                .attribute("seconds", fmt("%.0f", seconds))
                .attribute("minutes", fmt("%.1f", seconds / 60))
                .attribute("tokens-per-second", fmt("%,.0f", tokens / seconds))
                .attribute("initial-loss", fmt("%.3f", initial.loss()))
                .attribute("final-loss", fmt("%.3f", last[1]))
                .attribute("final-accuracy", fmt("%.1f%%", 100 * last[2]))
                .attribute("final-perplexity", fmt("%.0f", last[3]))
                .attribute("ln-v", fmt("%.3f", lnV))
                .attribute("unigram-loss", fmt("%.3f", uni.loss()))
                .attribute("unigram-perplexity", fmt("%.0f", uni.perplexity()))
                .attribute("unigram-accuracy", fmt("%.1f%%", 100 * uni.accuracy()))
                .attribute("below-unigram", belowUnigram)
                .attribute("peak-heap-mb", fmt("%,d", peak >> 20))
                .attribute("outside-percent", fmt("%.1f", 100 * outside))
                .attribute("data-percent", fmt("%.2f", 100 * shares[0]))
                .attribute("logging-percent", fmt("%.2f", 100 * shares[2]))
                .attribute("eval-batches", Integer.toString(cfg.evalBatches()))
                .attribute("held-out-masked", fmt("%,d", initial.masked()));
        pub.table("The short run of this build: " + cfg.steps() + " steps of " + cfg.batchSize() + " × "
                        + cfg.sequenceLength() + " tokens, " + p.learner().precision() + ", " + p.backendName(),
                List.of("Quantity", "Value"), List.of(
                        List.of("training sequences (first " + fmt("%,d", cfg.documentLimit()) + " documents of IMDB)",
                                fmt("%,d", p.trainCache().size())),
                        List.of("tokens seen", fmt("%,d", tokens)),
                        List.of("wall time of the steps, evaluations and checkpoint", fmt("%.0f s", seconds)),
                        List.of("tokens per second", fmt("%,.0f", tokens / seconds)),
                        List.of("held-out loss at initialisation / at the end", fmt("%.3f / %.3f", initial.loss(), last[1])),
                        List.of("held-out masked accuracy at the end", fmt("%.1f%%", 100 * last[2])),
                        List.of("held-out perplexity at the end", fmt("%.0f", last[3])),
                        List.of("loss of a uniform guess, ln V", fmt("%.3f", lnV)),
                        List.of("loss of the unigram distribution on the same held-out masks", fmt("%.3f (perplexity %.0f)", uni.loss(), uni.perplexity())),
                        List.of("held-out loss first below the unigram loss", belowUnigram),
                        List.of("time outside forward, backward and AdamW (data, masking, logging)", fmt("%.2f%%", 100 * outside)),
                        List.of("peak heap in use", fmt("%,d MiB", peak >> 20))));

        double[] x = column(steps, 0), loss = column(steps, 1), acc = column(steps, 2);
        double[] ex = column(evals, 0), eLoss = column(evals, 1), eAcc = column(evals, 2);
        results.publish("training/loss-curve").seed(cfg.seed()).config(configFile)
                .plot("Masked-LM loss of the short run: each training step, and the held-out batches",
                        Plot.of("step", "loss (nats per masked token)")
                                .line("training step", x, smooth(loss, 5))
                                .points("held out", ex, eLoss, null)
                                .reference("uniform guess, ln V", lnV)
                                .reference("unigram distribution", uni.loss()));
        results.publish("training/accuracy-curve").seed(cfg.seed()).config(configFile)
                .plot("Masked accuracy of the short run",
                        Plot.of("step", "masked accuracy")
                                .line("training step", x, smooth(acc, 5))
                                .points("held out", ex, eAcc, null)
                                .reference("unigram: always the most frequent piece", uni.accuracy()));
        gradientFlow(results, p, configFile);
        results.publish("training/outside-check").seed(cfg.seed()).config(configFile)
                .check("The trainer spends at most 5% of a step outside forward, backward and AdamW", outside <= 0.05,
                        fmt("%.2f%% (data and masking %.2f%%, logging %.2f%%)", 100 * outside, 100 * shares[0], 100 * shares[2]));
    }

    /** Per-group gradient norms and update ratios over the short run, from its metrics log. */
    private static void gradientFlow(Results results, Pretraining p, Path configFile) throws IOException {
        Map<String, List<double[]>> norms = new LinkedHashMap<>(), ratios = new LinkedHashMap<>();
        for (String line : Files.readAllLines(p.run().metrics())) {
            JsonNode n = RunDirectory.json().readTree(line);
            if (!n.path("kind").asText().equals("train")) {
                continue;
            }
            double step = n.path("step").asDouble();
            n.path("groups").fields().forEachRemaining(g -> {
                norms.computeIfAbsent(g.getKey(), k -> new ArrayList<>()).add(new double[] {step, g.getValue().path("grad_norm").asDouble()});
                ratios.computeIfAbsent(g.getKey(), k -> new ArrayList<>()).add(new double[] {step, g.getValue().path("update_ratio").asDouble()});
            });
        }
        Plot normPlot = Plot.of("step", "gradient norm (before clipping)").logY();
        Plot ratioPlot = Plot.of("step", "‖Δθ‖ / ‖θ‖ per step").logY();
        for (String group : norms.keySet()) {
            normPlot.line(group, column(norms.get(group), 0), column(norms.get(group), 1));
            ratioPlot.line(group, column(ratios.get(group), 0), column(ratios.get(group), 1));
        }
        results.publish("training/gradient-norms").seed(p.config().seed()).config(configFile)
                .plot("Gradient norm per parameter group over the short run", normPlot);
        results.publish("training/update-ratios").seed(p.config().seed()).config(configFile)
                .plot("Update-to-weight ratio per parameter group over the short run", ratioPlot.reference("10⁻³", 1e-3));
    }

    // ---------------------------------------------------------------- the step, timed

    private static void step(Results results, Pretraining p) throws IOException {
        TrainConfig cfg = p.config();
        Batch batch = BookData.measuredBatch();
        int warmUp = 3, steps = results.mode() == Mode.FULL ? 15 : 7, allocation = 5;
        List<Learner> learners = StepBenchmark.learners(p.modelConfig(), cfg, 3);
        List<StepBenchmark.Figures> figures = StepBenchmark.run(learners, batch, warmUp, steps, allocation, 1e-4);
        List<List<Object>> rows = new ArrayList<>();
        Publication pub = results.publish("training/step").seed(3).config(ProjectFiles.projectDir().resolve(BookData.SHORT_CONFIG));
        for (StepBenchmark.Figures f : figures) {
            double hours = 100_000 * f.medianSeconds() / 3600;
            rows.add(List.of(f.precision(), fmt("%.3f s", f.medianSeconds()), fmt("%.3f–%.3f s", f.minSeconds(), f.maxSeconds()),
                    fmt("%.0f / %.0f / %.0f%%", 100 * f.phaseShares()[0], 100 * f.phaseShares()[1], 100 * f.phaseShares()[2]),
                    fmt("%,d B", f.allocatedBytesPerStep()), fmt("%,d MiB", f.bufferBytes() >> 20), fmt("%.1f h", hours)));
            String key = f.precision();
            pub.attribute(key + "-seconds", fmt("%.3f", f.medianSeconds()))
                    .attribute(key + "-hours", fmt("%.1f", hours))
                    .attribute(key + "-allocated-bytes", fmt("%,d", f.allocatedBytesPerStep()))
                    .attribute(key + "-buffers-mb", fmt("%,d", f.bufferBytes() >> 20));
        }
        StepBenchmark.Figures f32 = figures.get(0), f64 = figures.get(1);
        pub.attribute("speedup", fmt("%.2f", f64.medianSeconds() / f32.medianSeconds()))
                .attribute("steps", Integer.toString(steps))
                .attribute("warm-up", Integer.toString(warmUp))
                .attribute("masked", Integer.toString(BookData.measuredMasked()))
                .attribute("batch", cfg.batchSize() + " × " + cfg.sequenceLength())
                .table("A training step (forward, backward, clipping, AdamW) on the book's measured batch ("
                                + cfg.batchSize() + " × " + cfg.sequenceLength() + " tokens of IMDB, M = "
                                + BookData.measuredMasked() + " masked), both precisions taking turns; median of " + steps
                                + " after " + warmUp + " warm-up steps; " + p.backendName(),
                        List.of("Precision", "Step (median)", "Range", "Forward / backward / AdamW", "Heap allocated per step",
                                "Parameters, moments, activations", "100K steps projected"), rows);
        results.publish("training/allocation-check").seed(3)
                .check("A steady-state training step allocates less than 1 MB of heap", f32.allocatedBytesPerStep() < 1 << 20
                                && f64.allocatedBytesPerStep() < 1 << 20,
                        fmt("float32: %,d bytes per step, float64: %,d bytes per step, counted on every thread",
                                f32.allocatedBytesPerStep(), f64.allocatedBytesPerStep()));
    }

    // ---------------------------------------------------------------- 512 MB

    /** Trains ten float32 steps at batch 32 × 64 in a JVM of its own limited to 512 MB of heap. */
    private static void memoryProbe(Results results, Pretraining p) throws IOException, InterruptedException {
        TrainConfig cfg = p.config();
        Path modelConfig = cfg.model();
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "--add-modules=jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                StepBenchmark.class.getName(), modelConfig.toString(), Integer.toString(cfg.batchSize()),
                Integer.toString(cfg.sequenceLength()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        boolean ended = process.waitFor(10, TimeUnit.MINUTES);
        int exit = ended ? process.exitValue() : -1;
        String line = out.lines().filter(l -> l.startsWith("steps=")).findFirst().orElse("");
        long peak = line.isEmpty() ? -1 : Long.parseLong(line.replaceAll(".*peak_heap_bytes=(\\d+).*", "$1"));
        boolean passed = exit == 0 && peak > 0 && peak < 512L << 20;
        results.publish("training/memory-probe").config(modelConfig)
                .attribute("peak-mb", fmt("%,d", peak >> 20))
                .check("Ten float32 training steps at batch " + cfg.batchSize() + " × " + cfg.sequenceLength()
                        + " in a JVM limited to 512 MB of heap (-Xmx512m)", passed, passed
                        ? fmt("the peak heap in use was %,d MiB", peak >> 20)
                        : "exit status " + exit + "; output: " + out.strip().lines().reduce((a, b) -> b).orElse("(none)"));
    }

    // ---------------------------------------------------------------- overfit one batch

    private static void overfit(Results results, Pretraining p) throws IOException {
        TrainConfig cfg = p.config();
        Batch full = BookData.measuredBatch();
        int b = 8, t = cfg.sequenceLength();
        Batch batch = new Batch(java.util.Arrays.copyOf(full.inputIds(), b * t), java.util.Arrays.copyOf(full.tokenTypes(), b * t),
                java.util.Arrays.copyOf(full.attentionMask(), b * t), java.util.Arrays.copyOf(full.labels(), b * t), b, t);
        int masked = 0;
        for (int label : batch.labels()) {
            masked += label == minibert.nn.MlmHead.IGNORE ? 0 : 1;
        }
        Learner learner = StepBenchmark.learners(p.modelConfig(), cfg, 11).get(0);
        double lr = 1e-3;
        int max = 400;
        OverfitOneBatch.Result r = OverfitOneBatch.run(learner, batch, max, lr, 1.0);
        double[] x = new double[r.losses().size()], y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
            y[i] = r.losses().get(i);
        }
        results.publish("training/overfit").seed(11)
                .attribute("steps", r.reached() ? Integer.toString(r.reachedAt()) : "more than " + max)
                .attribute("batch", b + " × " + t)
                .attribute("masked", Integer.toString(masked))
                .attribute("lr", fmt("%.0e", lr))
                .plot("Overfitting one batch (" + b + " sequences of the measured batch, " + masked
                                + " masked tokens, no dropout, constant learning rate " + fmt("%.0e", lr) + ")",
                        Plot.of("step", "loss").logY().line("loss on the batch", x, y)
                                .reference("target " + OverfitOneBatch.TARGET, OverfitOneBatch.TARGET));
        results.publish("training/overfit-check").seed(11)
                .check("The model drives one fixed batch's loss below " + OverfitOneBatch.TARGET, r.reached(),
                        r.reached() ? "in " + r.reachedAt() + " steps" : "not within " + max + " steps: the loss is "
                                + fmt("%.3f", y[y.length - 1]));
    }

    // ---------------------------------------------------------------- helpers

    private static double[] column(List<double[]> rows, int c) {
        double[] out = new double[rows.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = rows.get(i)[c];
        }
        return out;
    }

    /** A trailing mean over {@code w} points (fewer at the start), so a curve shows its trend, not its noise. */
    static double[] smooth(double[] y, int w) {
        double[] out = new double[y.length];
        double sum = 0;
        for (int i = 0; i < y.length; i++) {
            sum += y[i];
            if (i >= w) {
                sum -= y[i - w];
            }
            out[i] = sum / Math.min(i + 1, w);
        }
        return out;
    }

    private static String fmt(String f, Object... a) {
        return String.format(Locale.ROOT, f, a);
    }
}
