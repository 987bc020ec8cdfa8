package minibert.cli;

import minibert.bench.GemmBenchmark;
import minibert.bench.MemoryBandwidth;
import minibert.bench.ModelProducts;
import minibert.bench.PackingShare;
import minibert.bench.ProductShape;
import minibert.bench.Sample;
import minibert.bench.TileExperiment;
import minibert.config.ConfigException;
import minibert.config.TrainConfig;
import minibert.tensor.Gemm;
import minibert.tensor.OpenBlas;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code minibert bench}: GFLOP/s of EJML, the Vector API GEMM and OpenBLAS on the shapes of one training step, beside the
 * FMA peak and the memory bandwidth measured in the same run; with {@code --tiles}, the kernel's tile against the
 * others in the full product.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure matrix-product speed on the products of one training step (sized from the training config): "
                + "EJML, the Vector API kernel and OpenBLAS on one thread and on all, in double and float, beside one core's FMA peak "
                + "and the memory bandwidth measured in the same run. Each figure: median (slowest–fastest) of its runs.")
final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    int reps;

    @Option(names = "--reps", defaultValue = "7", description = "timed rounds per figure, 1 to 1000, median reported (default: ${DEFAULT-VALUE})")
    void reps(int value) {
        reps = Checks.between(spec, "--reps", value, 1, 1000);
    }

    @Option(names = "--config", defaultValue = ModelProducts.TRAIN_CONFIG,
            description = "training config whose batch and model size the products take (default: ${DEFAULT-VALUE})")
    Path config;

    @Option(names = "--tiles", description = "also compare the kernel's tile with the others in the full product")
    boolean tiles;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        TrainConfig train;
        try {
            train = TrainConfig.load(config);
        } catch (ConfigException e) {
            spec.commandLine().getErr().println(e.getMessage());
            return 2;
        }
        ModelProducts products = ModelProducts.of(train.modelConfig(), train);
        List<ProductShape> shapes = products.shapes();
        out.println("measuring the FMA peak, then " + shapes.size() + " shapes × 9 variants (EJML, the kernel and OpenBLAS), then the peak again and the memory bandwidth…");
        out.flush();
        double peak = GemmBenchmark.fmaPeak(), peakF = GemmBenchmark.fmaPeakFloat();
        List<GemmBenchmark.Row> rows = GemmBenchmark.run(shapes, reps);
        peak = Math.max(peak, GemmBenchmark.fmaPeak());                  // the larger of the two: see KernelResults
        peakF = Math.max(peakF, GemmBenchmark.fmaPeakFloat());
        double peakAll = GemmBenchmark.fmaPeakAllThreads();
        MemoryBandwidth.Result bw = MemoryBandwidth.triad(1, 5), bwAll = MemoryBandwidth.triad(Gemm.threads(), 5);
        out.printf(Locale.ROOT, "FMA peak, one core (the fastest run, before and after): double %.1f, float %.1f GFLOP/s; kernel threads: %d%n",
                peak, peakF, Gemm.threads());
        out.printf(Locale.ROOT, "the same FMA loop on all %d threads at once: %.1f GFLOP/s, %.2f× one core%n", Gemm.threads(), peakAll,
                peakAll / peak);
        out.printf(Locale.ROOT, "memory bandwidth (triad, arrays of %d MiB): one thread %s GB/s, %d threads %s GB/s%n",
                bw.arrayBytes() >> 20, fmt(bw.gbPerSecond()), Gemm.threads(), fmt(bwAll.gbPerSecond()));
        out.printf(Locale.ROOT, "%-36s %16s %8s %18s %10s %8s %10s %8s%n", "SHAPE", "m×n×k", "EJML", "1 thread", "threads",
                "% peak", "f32 1 th.", "% peak");
        for (GemmBenchmark.Row r : rows) {
            ProductShape s = r.shape();
            out.printf(Locale.ROOT, "%-36s %16s %8.1f %18s %10.1f %7.0f%% %10.1f %7.0f%%%n", s.label(), s.dims(),
                    r.ejml().median(), fmt(r.single()), r.multi().median(), 100 * r.single().median() / peak,
                    r.floatSingle().median(), 100 * r.floatSingle().median() / peakF);
            out.flush();
        }
        out.println();
        if (OpenBlas.available()) {
            out.println("Against OpenBLAS (" + OpenBlas.config() + "), GFLOP/s in the same rounds; kernel ÷ OpenBLAS:");
            int t = Gemm.threads();
            out.printf(Locale.ROOT, "%-36s %9s %9s %6s %9s %9s %6s %9s %9s %6s %9s %9s %6s%n", "SHAPE", "f64 1th", "OB", "÷",
                    "f64 " + t + "th", "OB", "÷", "f32 1th", "OB", "÷", "f32 " + t + "th", "OB", "÷");
            for (GemmBenchmark.Row r : rows) {
                double[] q = r.ratios();
                out.printf(Locale.ROOT, "%-36s %9.1f %9.1f %6.2f %9.1f %9.1f %6.2f %9.1f %9.1f %6.2f %9.1f %9.1f %6.2f%n",
                        r.shape().label(), r.single().median(), r.blasSingle().median(), q[0], r.multi().median(),
                        r.blasMulti().median(), q[1], r.floatSingle().median(), r.blasFloatSingle().median(), q[2],
                        r.floatMulti().median(), r.blasFloatMulti().median(), q[3]);
            }
            out.println();
        } else {
            out.println("OpenBLAS did not load, so there is no anchor in this run.");
        }
        out.println("Packing's share of each product, one thread (the whole product and its packing passes alone, in turns):");
        for (PackingShare.Row p : PackingShare.run(shapes, reps)) {
            out.printf(Locale.ROOT, "  %-36s %16s  double %,8.0f µs, packing %3.0f%%   float %,8.0f µs, packing %3.0f%%%n",
                    p.shape().label(), p.shape().dims(), p.wholeMicros().median(), 100 * p.share().median(),
                    p.wholeMicrosFloat().median(), 100 * p.shareFloat().median());
        }
        out.println();
        out.println("Measured goals (the training-step goal is measured by the book's build, model/step):");
        for (GemmBenchmark.Goal g : GemmBenchmark.goals(rows, peak, peakF, peakAll)) {
            out.printf(Locale.ROOT, "  %-8s %-78s %s%n", g.met() ? "met" : "NOT MET", g.goal(), g.measured());
        }
        if (tiles) {
            out.println();
            out.println("The kernel's tile (" + Gemm.TILE + ") against the others, whole products on one thread, round by round:");
            for (TileExperiment.KernelRow k : TileExperiment.inKernel(
                    List.of(products.projection(), products.ffnUp(), products.ffnWeightGradient()), reps)) {
                out.printf(Locale.ROOT, "  %-36s %-6s %s %s, %s %s GFLOP/s: %s, %s%n", k.shape().label(), k.precision(),
                        k.tile(), fmt(k.tileRate()), k.other(), fmt(k.otherRate()), k.versus().describe(),
                        k.versus().halvesAgree() ? k.versus().verdict() : "halves disagree");
            }
        }
        return 0;
    }

    private static String fmt(Sample s) {
        return String.format(Locale.ROOT, "%.1f (%.1f–%.1f)", s.median(), s.min(), s.max());
    }
}
