package minibert.book;

import com.fasterxml.jackson.databind.JsonNode;
import minibert.bench.StepBenchmark;
import minibert.bench.StepProfiler;
import minibert.nn.StepProfile;
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

    /** The (precision, backend) pairs of the step table; EJML last, the slow one. */
    private static final List<String[]> VARIANTS = List.of(new String[] {"float32", "vector"}, new String[] {"float64", "vector"},
            new String[] {"float32", "openblas"}, new String[] {"float64", "openblas"}, new String[] {"float32", "ejml"});

    private static void step(Results results, Pretraining p) throws IOException {
        TrainConfig cfg = p.config();
        Batch batch = BookData.measuredBatch();
        boolean full = results.mode() == Mode.FULL;
        int warmUp = 3, steps = full ? 15 : 7, ejmlSteps = full ? 3 : 1, allocation = full ? 5 : 3;
        List<Learner> learners = new ArrayList<>();
        List<String> backends = new ArrayList<>();
        for (String[] v : VARIANTS) {
            learners.add(StepBenchmark.learner(p.modelConfig(), cfg, 3, v[0], v[1]));
            backends.add(v[1]);
        }
        // the float kernel's rate on the FFN product, on all threads, measured right after each float32 step on it, in
        // the same round: the step's arithmetic rate is judged against it round by round, so that a busy moment of the
        // shared machine weighs on both sides of the ratio alike
        FfnProduct ffn = new FfnProduct(p.modelConfig().hiddenSize(), p.modelConfig().intermediateSize(),
                cfg.batchSize() * cfg.sequenceLength());
        for (int w = 0; w < 3; w++) {
            ffn.rate();                                                  // warm-up
        }
        List<StepBenchmark.Figures> figures = StepBenchmark.run(learners, backends, VARIANTS.size() - 1, batch, warmUp, steps,
                ejmlSteps, allocation, 1e-4, ffn::rate);
        double stepFlops = stepFlops(p.modelConfig(), cfg.batchSize(), cfg.sequenceLength(), BookData.measuredMasked());
        StepBenchmark.Figures first = figures.get(0);
        double[] shares = new double[first.beside().length];
        for (int s = 0; s < shares.length; s++) {
            shares[s] = stepFlops / first.roundSeconds()[s] / 1e9 / first.beside()[s];
        }
        double gemmRate = minibert.bench.Sample.of(first.beside()).median();
        long schedule = TrainConfig.load(ProjectFiles.projectDir().resolve(SCHEDULE)).steps();
        List<List<Object>> rows = new ArrayList<>();
        Publication pub = results.publish("training/step").seed(3).config(ProjectFiles.projectDir().resolve(BookData.SHORT_CONFIG));
        for (StepBenchmark.Figures f : figures) {
            double hours = schedule * f.medianSeconds() / 3600;
            int timed = f.backend().equals("ejml") ? ejmlSteps : steps;
            rows.add(List.of(f.precision(), backendLabel(f.backend()), fmt("%.3f s", f.medianSeconds()),
                    timed == 1 ? "one step" : fmt("%.3f–%.3f s", f.minSeconds(), f.maxSeconds()),
                    fmt("%.0f / %.0f / %.0f%%", 100 * f.phaseShares()[0], 100 * f.phaseShares()[1], 100 * f.phaseShares()[2]),
                    f.allocatedBytesPerStep() < 0 ? "not counted" : fmt("%,d B", f.allocatedBytesPerStep()),
                    fmt("%,d MiB", f.bufferBytes() >> 20), fmt("%.1f GFLOP/s", stepFlops / f.medianSeconds() / 1e9),
                    fmt("%.1f h", hours)));
            String key = f.precision() + (f.backend().equals("vector") ? "" : "-" + f.backend());
            pub.attribute(key + "-seconds", fmt("%.3f", f.medianSeconds()))
                    .attribute(key + "-hours", fmt("%.1f", hours));
            if (f.allocatedBytesPerStep() >= 0) {
                pub.attribute(key + "-allocated-bytes", fmt("%,d", f.allocatedBytesPerStep()));
            }
            if (f.backend().equals("vector")) {
                pub.attribute(key + "-buffers-mb", fmt("%,d", f.bufferBytes() >> 20));
            }
        }
        StepBenchmark.Figures f32 = figures.get(0), f64 = figures.get(1), blas32 = figures.get(2);
        StepBenchmark.PoolUse pool = StepBenchmark.poolUse(learners.get(0), batch, warmUp + steps + allocation, 1e-4);
        pub.attribute("pool-calls", fmt("%d", pool.calls()))
                .attribute("pool-wake-ups", fmt("%d", pool.wakeUps()))
                .attribute("pool-spin-ms", fmt("%.0f", minibert.tensor.Pool.SPIN_NANOS / 1e6));
        double share = minibert.bench.Sample.of(shares).median();           // the median of the rounds' ratios
        pub.attribute("speedup", fmt("%.2f", f64.medianSeconds() / f32.medianSeconds()))
                .attribute("steps", Integer.toString(steps))
                .attribute("ejml-steps", Integer.toString(ejmlSteps))
                .attribute("warm-up", Integer.toString(warmUp))
                .attribute("allocation-steps", Integer.toString(allocation))
                .attribute("masked", Integer.toString(BookData.measuredMasked()))
                .attribute("batch", cfg.batchSize() + " × " + cfg.sequenceLength())
                .attribute("schedule-steps", fmt("%,d", schedule))
                .attribute("gflop", fmt("%.1f", stepFlops / 1e9))
                .attribute("gemm-gflops", fmt("%.1f", gemmRate))
                .attribute("share-percent", fmt("%.0f", 100 * share))
                .attribute("openblas-ratio", fmt("%.2f", blas32.medianSeconds() / f32.medianSeconds()))
                .attribute("openblas-sentence", f32.maxSeconds() < blas32.minSeconds()
                        ? fmt("every float32 step on the Vector API kernel was faster than every one on OpenBLAS (medians %.3f s and %.3f s)",
                                f32.medianSeconds(), blas32.medianSeconds())
                        : blas32.maxSeconds() < f32.minSeconds()
                        ? fmt("every float32 step on OpenBLAS was faster than every one on the Vector API kernel (medians %.3f s and %.3f s)",
                                blas32.medianSeconds(), f32.medianSeconds())
                        : fmt("the float32 steps on the two backends overlapped (medians %.3f s on the Vector API kernel, %.3f s on "
                                + "OpenBLAS), so this run does not order them", f32.medianSeconds(), blas32.medianSeconds()))
                .table("A training step (forward, backward, clipping, AdamW) on the book's measured batch ("
                                + cfg.batchSize() + " × " + cfg.sequenceLength() + " tokens of IMDB, M = "
                                + BookData.measuredMasked() + " masked), every precision and backend taking turns; median of " + steps
                                + " after " + warmUp + " warm-up steps (EJML: " + (ejmlSteps == 1 ? "one step" : "median of " + ejmlSteps)
                                + " after one warm-up step, in the first rounds); the arithmetic rate counts the step's "
                                + fmt("%.1f", stepFlops / 1e9) + " GFLOP of matrix products; the projection is the "
                                + fmt("%,d", schedule) + "-step schedule of " + SCHEDULE + " at the median step",
                        List.of("Precision", "Products", "Step (median)", "Range", "Forward / backward / AdamW", "Heap allocated per step",
                                "Parameters, moments, activations", "Arithmetic rate", fmt("%,d steps projected", schedule)), rows);
        results.publish("training/allocation-check").seed(3)
                .check("A steady-state training step allocates less than 1 MB of heap", f32.allocatedBytesPerStep() < 1 << 20
                                && f64.allocatedBytesPerStep() < 1 << 20,
                        fmt("float32: %,d bytes per step, float64: %,d bytes per step, counted on every thread",
                                f32.allocatedBytesPerStep(), f64.allocatedBytesPerStep()));
        speedGoals(results, f32, share, gemmRate, schedule);
        pytorch(results, f32, blas32);
        profile(results, p, batch, full);
    }

    /** PyTorch's recorded step beside this build's float32 steps. */
    private static void pytorch(Results results, StepBenchmark.Figures f32, StepBenchmark.Figures blas32) throws IOException {
        PyTorchStep torch = PyTorchStep.load();
        List<List<Object>> rows = new ArrayList<>();
        for (PyTorchStep.Run r : torch.runs()) {
            rows.add(List.of("PyTorch " + torch.version() + ", " + r.threads() + (r.threads() == 1 ? " thread" : " threads"),
                    "recorded " + torch.date(), fmt("%.3f s", r.medianSeconds()), fmt("%.3f–%.3f s", r.minSeconds(), r.maxSeconds())));
        }
        rows.add(List.of("minibert, Vector API kernel", "this build", fmt("%.3f s", f32.medianSeconds()),
                fmt("%.3f–%.3f s", f32.minSeconds(), f32.maxSeconds())));
        rows.add(List.of("minibert, OpenBLAS", "this build", fmt("%.3f s", blas32.medianSeconds()),
                fmt("%.3f–%.3f s", blas32.minSeconds(), blas32.maxSeconds())));
        results.publish("training/pytorch")
                .attribute("command", torch.command())
                .attribute("blas", torch.blas())
                .attribute("machine", torch.machine())
                .attribute("masked", Integer.toString(torch.masked()))
                .table("The float32 training step, batch " + torch.batch() + " × " + torch.length() + ": PyTorch's RECORDED by "
                                + "tools/reference/pytorch_step.py (" + torch.machine() + ", " + torch.date() + ", load average "
                                + torch.loadAverage() + ", BLAS " + torch.blas() + ", " + torch.timedSteps()
                                + " timed steps per setting, medians) beside this build's LIVE figures",
                        List.of("Step", "Measured", "Median", "Range"), rows);
    }

    // ---------------------------------------------------------------- where the step's time goes

    /** Per layer and operation, fused and with the separate passes, taking turns on one float32 learner. */
    private static void profile(Results results, Pretraining p, Batch batch, boolean full) throws IOException {
        int layers = p.modelConfig().numLayers();
        Learner learner = StepBenchmark.learner(p.modelConfig(), p.config(), 5, "float32", "vector");
        int warmUp = 3, steps = full ? 9 : 5;
        List<StepProfiler.Profile> profiles = StepProfiler.run(learner, batch, layers, warmUp, steps, 1e-4);
        StepProfiler.Profile separate = profiles.get(0), fused = profiles.get(1);
        double[] flops = layerProductFlops(p.modelConfig(), batch.batch(), batch.length());
        List<List<Object>> rows = new ArrayList<>();
        double productFlops = 0, productNanos = 0, slowest = Double.MAX_VALUE;
        String slowestWhere = "";
        for (StepProfile.Op op : StepProfile.Op.values()) {
            List<Object> row = new ArrayList<>();
            row.add(op.label());
            double[] sum = new double[2];                               // forward, backward: every layer's laps
            for (int l = -1; l < layers; l++) {
                double[] ns = fused.nanos()[l + 1][op.ordinal()];
                row.add(ns[0] + ns[1] == 0 ? "" : fmt("%.1f + %.1f", ns[0] / 1e6, ns[1] / 1e6));
                sum[0] += ns[0];
                sum[1] += ns[1];
            }
            row.add(fmt("%.1f", fused.total(op) / 1e6));
            row.add(fmt("%.1f", separate.total(op) / 1e6));
            double f = flops[op.ordinal()];                              // forward; backward does twice the work
            if (f > 0 && sum[0] > 0 && sum[1] > 0) {                    // a product with laps of its own when fused
                double forward = f / sum[0], backward = 2 * f / sum[1];
                row.add(fmt("%.0f / %.0f", forward, backward));
                productFlops += 3 * f;
                productNanos += sum[0] + sum[1];
                if (Math.min(forward, backward) < slowest) {
                    slowest = Math.min(forward, backward);
                    slowestWhere = op.label() + (forward <= backward ? ", forward" : ", backward");
                }
            } else {
                row.add("");
            }
            rows.add(row);
        }
        List<String> header = new ArrayList<>(List.of("Operation", "outside the layers"));
        for (int l = 0; l < layers; l++) {
            header.add("layer " + l);
        }
        header.add("fused, all");
        header.add("separate passes, all");
        header.add("GFLOP/s fused, forward / backward");
        List<Object> total = new ArrayList<>(List.of("the step (median of the steps' sums)"));
        for (int l = -1; l < layers; l++) {
            total.add("");
        }
        total.add(fmt("%.1f", fused.medianStepNanos() / 1e6));
        total.add(fmt("%.1f", separate.medianStepNanos() / 1e6));
        total.add("");
        rows.add(total);
        // the operations the fusions touched, before and after
        StepProfile.Op[] touched = {StepProfile.Op.GELU, StepProfile.Op.SCORES, StepProfile.Op.SOFTMAX, StepProfile.Op.CONTEXT,
                StepProfile.Op.HEADS, StepProfile.Op.RESIDUAL_NORM, StepProfile.Op.MLM_HEAD, StepProfile.Op.NORMS,
                StepProfile.Op.ADAMW};
        double before = 0, after = 0;
        for (StepProfile.Op op : touched) {
            before += separate.total(op);
            after += fused.total(op);
        }
        Publication pub = results.publish("training/profile").seed(5).config(ProjectFiles.projectDir().resolve(BookData.SHORT_CONFIG));
        double scoresMib = (double) batch.batch() * p.modelConfig().numHeads() * batch.length() * batch.length() * Float.BYTES
                / (1 << 20);                                            // one layer's S [B, A, T, T] in float32
        pub.attribute("steps", Integer.toString(steps))
                .attribute("scores-mb", fmt("%.0f", scoresMib))
                .attribute("fused-ms", fmt("%.0f", fused.medianStepNanos() / 1e6))
                .attribute("separate-ms", fmt("%.0f", separate.medianStepNanos() / 1e6))
                .attribute("touched-before-ms", fmt("%.0f", before / 1e6))
                .attribute("touched-after-ms", fmt("%.0f", after / 1e6))
                .attribute("products-percent", fmt("%.0f", 100 * productNanos / fused.medianStepNanos()))
                .attribute("head-percent", fmt("%.0f", 100 * fused.total(StepProfile.Op.MLM_HEAD) / fused.medianStepNanos()))
                .attribute("heads-percent", fmt("%.0f", 100 * fused.total(StepProfile.Op.HEADS) / fused.medianStepNanos()))
                .attribute("adamw-percent", fmt("%.0f", 100 * (fused.total(StepProfile.Op.ADAMW) + fused.total(StepProfile.Op.NORMS))
                        / fused.medianStepNanos()))
                .attribute("fusion-sentence", fusionSentence(separate, fused, before, after))
                .attribute("layer-products-gflops", fmt("%.0f", productFlops / productNanos))
                .attribute("slowest-product", slowestWhere)
                .attribute("slowest-product-gflops", fmt("%.0f", slowest))
                .attribute("rest-percent", fmt("%.0f", 100 * (1 - (productNanos + fused.total(StepProfile.Op.HEADS)
                        + fused.total(StepProfile.Op.MLM_HEAD)) / fused.medianStepNanos())))
                .table("Where the float32 step's time goes (ms, forward + backward; medians of " + steps + " steps each way, the "
                                + "fused and the separate passes taking turns on one learner, " + batch.batch() + " × " + batch.length()
                                + " measured batch); for the layers' matrix products, the rate their laps reached with the kernels "
                                + "fused, every layer together (the backward pass does twice the forward pass's work)", header, rows);
        results.publish("training/profile-bars").seed(5)
                .svg("The float32 step's time by operation, forward and backward, all layers: the kernels fused and as their "
                        + "separate passes, measured in turns in the same run (medians, ms)", StackedBars.of(List.of(
                        bar("separate passes", separate), bar("fused", fused)), "ms per step"));
    }

    private static StackedBars.Bar bar(String name, StepProfiler.Profile profile) {
        List<String> labels = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        for (StepProfile.Op op : StepProfile.Op.values()) {
            labels.add(op.label());
            values.add(profile.total(op) / 1e6);
        }
        return new StackedBars.Bar(name, labels, values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** What the fusions did to the operations they touched, as this run measured it. */
    private static String fusionSentence(StepProfiler.Profile separate, StepProfiler.Profile fused, double before, double after) {
        String ops = fmt("the operations the fusions touched (GELU, the attention's scores, softmax, dropout and context, "
                + "residual + LayerNorm, the MLM head, the norms and AdamW) took "
                + "%.0f ms a step as separate passes and %.0f ms fused", before / 1e6, after / 1e6);
        String step = fmt("the whole step %.0f ms and %.0f ms (medians)", separate.medianStepNanos() / 1e6, fused.medianStepNanos() / 1e6);
        double touched = before - after, whole = separate.medianStepNanos() - fused.medianStepNanos();
        // the fusions change nothing outside the operations they touch: a larger or opposite change of the whole step is
        // the machine's, not theirs
        String rest = Math.signum(whole) != Math.signum(touched) || Math.abs(whole) > 2 * Math.abs(touched)
                ? "; the whole step changed by more than the operations the fusions touched, or the other way, so the rest of "
                        + "its difference is other work on the shared machine, not the fusions"
                : "";
        return ops + ", " + step + rest;
    }

    /**
     * The float32 step beside PyTorch's recorded one: the medians the goal compares, and both ranges, which a
     * reader needs to judge a small gap between a live figure and a recorded one.
     */
    static String torchFigures(StepBenchmark.Figures f32, PyTorchStep torch) {
        PyTorchStep.Run best = torch.runs().stream().filter(r -> r.threads() == torch.threads()).findFirst().orElseThrow();
        boolean overlap = f32.minSeconds() <= best.maxSeconds() && best.minSeconds() <= f32.maxSeconds();
        return fmt("%.3f s against %.3f s (medians; ranges %.3f–%.3f s and %.3f–%.3f s, %s)", f32.medianSeconds(),
                torch.medianSeconds(), f32.minSeconds(), f32.maxSeconds(), best.minSeconds(), best.maxSeconds(),
                overlap ? "which overlap" : "which do not overlap");
    }

    /** The training configuration whose schedule the step table projects: the seed's 100K steps. */
    static final String SCHEDULE = "configs/train/pretrain.yaml";

    private static String backendLabel(String backend) {
        return switch (backend) {
            case "vector" -> "Vector API kernel";
            case "openblas" -> "OpenBLAS";
            case "ejml" -> "EJML";
            default -> backend;
        };
    }

    /**
     * The matrix-product work of one step, counted: forward (the projections, the FFN, the attention's two batched
     * products, the MLM head's transform and decoder at the M masked rows), and twice that backward.
     */
    static double stepFlops(minibert.config.ModelConfig c, int batch, int t, int masked) {
        long n = (long) batch * t, h = c.hiddenSize(), i = c.intermediateSize();
        double forward = c.numLayers() * (4 * 2.0 * n * h * h + 2 * 2.0 * n * h * i + (double) batch * c.numHeads() * 4.0 * t * t * c.headSize())
                + 2.0 * masked * h * h + 2.0 * masked * h * c.vocabSize();
        return 3 * forward;
    }

    /**
     * The forward pass's matrix-product work of each operation of {@link StepProfile.Op}, every layer together, indexed by
     * the operation's ordinal; 0 for the operations that are not a layer's product (the MLM head mixes its products
     * with its softmax and loss in one lap, and so does the attention by head, whose two products are counted under
     * the scores and the context, the laps of the separate passes). The backward pass of each does twice this work. Together, three times
     * these are {@link #stepFlops} without the MLM head's share.
     */
    static double[] layerProductFlops(ModelConfig c, int batch, int t) {
        double n = (double) batch * t, h = c.hiddenSize(), i = c.intermediateSize(), layers = c.numLayers();
        double attention = (double) batch * c.numHeads() * 2.0 * t * t * c.headSize();
        double[] f = new double[StepProfile.Op.values().length];
        f[StepProfile.Op.PROJECTIONS.ordinal()] = layers * 2 * n * 3 * h * h;
        f[StepProfile.Op.SCORES.ordinal()] = layers * attention;
        f[StepProfile.Op.CONTEXT.ordinal()] = layers * attention;
        f[StepProfile.Op.OUTPUT.ordinal()] = layers * 2 * n * h * h;
        f[StepProfile.Op.UP_PROJECTION.ordinal()] = layers * 2 * n * h * i;
        f[StepProfile.Op.DOWN_PROJECTION.ordinal()] = layers * 2 * n * i * h;
        return f;
    }

    /** The float kernel on all threads on x·W1ᵀ [rows, h]·[i, h]ᵀ, the FFN's first product, on fixed random numbers. */
    private static final class FfnProduct {
        private final int h, i, rows;
        private final float[] a, b, c;

        FfnProduct(int h, int i, int rows) {
            this.h = h;
            this.i = i;
            this.rows = rows;
            java.util.Random rnd = new java.util.Random(5);
            a = new float[rows * h];
            b = new float[i * h];
            c = new float[rows * i];
            for (int k = 0; k < a.length; k++) {
                a[k] = (float) rnd.nextGaussian();
            }
            for (int k = 0; k < b.length; k++) {
                b[k] = (float) rnd.nextGaussian();
            }
        }

        /** GFLOP/s: the median of three runs. */
        double rate() {
            double[] rates = new double[3];
            for (int r = 0; r < rates.length; r++) {
                long t0 = System.nanoTime();
                minibert.tensor.GemmF.parallel(false, true, rows, i, h, 1f, a, h, b, h, 0f, c, i);
                rates[r] = 2.0 * rows * i * h / (System.nanoTime() - t0);
            }
            return minibert.bench.Sample.of(rates).median();
        }
    }

    /**
     * The speed issue's measured goals against this build's step (and the recorded PyTorch step): timing never
     * fails a build; the table says which goals this run met.
     */
    private static void speedGoals(Results results, StepBenchmark.Figures f32, double share, double gemmRate, long schedule)
            throws IOException {
        PyTorchStep torch = PyTorchStep.load();
        double hours = schedule * f32.medianSeconds() / 3600;
        List<List<Object>> cells = new ArrayList<>();
        cells.add(List.of("the float32 step faster than PyTorch's on this machine (PyTorch's recorded, not live: "
                        + torch.date() + ", load average " + torch.loadAverage() + ")",
                torchFigures(f32, torch), f32.medianSeconds() < torch.medianSeconds() ? "met" : "not met"));
        cells.add(List.of("the float32 step's arithmetic rate at least 80% of the float kernel's on the FFN product (all threads)",
                fmt("%.0f%% (the median over the timed steps of the step's rate over the product's, run right after "
                        + "it: %.1f GFLOP/s in the median)", 100 * share, gemmRate), share >= 0.8 ? "met" : "not met"));
        cells.add(List.of(fmt("the %,d-step schedule projected at most 8 h", schedule), fmt("%.1f h", hours),
                hours <= 8 ? "met" : "not met"));
        var kernel = results.findAttribute("fast/openblas", "worst-ratio");   // absent when the kernel producer did not run first
        cells.add(kernel.isPresent()
                ? List.of("the kernel at least 0.9× OpenBLAS on every model shape (chapter Making it fast)", "lowest " + kernel.get() + "×",
                        Double.parseDouble(kernel.get()) >= 0.9 ? "met" : "not met")
                : List.of("the kernel at least 0.9× OpenBLAS on every model shape", "measured in the chapter Making it fast", "—"));
        long met = cells.stream().filter(c -> c.get(2).equals("met")).count();
        results.publish("training/speed-goals")
                .attribute("met", Long.toString(met))
                .attribute("goals", Integer.toString(cells.size()))
                .attribute("torch-seconds", fmt("%.3f", torch.medianSeconds()))
                .attribute("torch-threads", Integer.toString(torch.threads()))
                .attribute("torch-version", torch.version())
                .attribute("torch-date", torch.date())
                .attribute("torch-ratio", fmt("%.2f", torch.medianSeconds() / f32.medianSeconds()))
                .table("The speed goals, in this build (the step on the Vector API kernel, float32)", List.of("Goal", "Measured", ""), cells);
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
