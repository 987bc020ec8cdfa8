package minibert.cli;

import minibert.tensor.Gemm;
import minibert.tensor.GemmBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code minibert bench}: GFLOP/s of EJML and the Vector API GEMM on the model's shapes, beside the FMA peak. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure matrix-product speed (double) on the transformer's shapes: EJML, the Vector API kernel on "
                + "one thread and on all, and one core's FMA peak measured in the same run.")
final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    int reps;

    @Option(names = "--reps", defaultValue = "7", description = "timed repetitions per figure, 1 to 1000, median reported (default: ${DEFAULT-VALUE})")
    void reps(int value) {
        reps = Checks.between(spec, "--reps", value, 1, 1000);
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.println("measuring the FMA peak, then " + GemmBenchmark.modelShapes().size() + " shapes × 5 variants, then the peak again…");
        out.flush();
        double peak = GemmBenchmark.fmaPeak(), peakF = GemmBenchmark.fmaPeakFloat();
        List<GemmBenchmark.Row> rows = GemmBenchmark.run(GemmBenchmark.modelShapes(), reps);
        peak = Math.max(peak, GemmBenchmark.fmaPeak());                  // the larger of the two: see KernelResults
        peakF = Math.max(peakF, GemmBenchmark.fmaPeakFloat());
        double peakAll = GemmBenchmark.fmaPeakAllThreads();
        out.printf(Locale.ROOT, "FMA peak, one core (the larger of two medians): double %.1f, float %.1f GFLOP/s; kernel threads: %d%n",
                peak, peakF, Gemm.threads());
        out.printf(Locale.ROOT, "the same FMA loop on all %d threads at once: %.1f GFLOP/s, %.2f× one core%n", Gemm.threads(), peakAll,
                peakAll / peak);
        out.printf(Locale.ROOT, "%-36s %16s %8s %10s %10s %8s %10s %10s %8s%n", "SHAPE", "m×n×k", "EJML", "1 thread", "threads",
                "% peak", "f32 1 th.", "f32 thr.", "% peak");
        for (GemmBenchmark.Row r : rows) {
            var s = r.shape();
            out.printf(Locale.ROOT, "%-36s %16s %8.1f %10.1f %10.1f %7.0f%% %10.1f %10.1f %7.0f%%%n", s.label(),
                    (s.batch() > 1 ? s.batch() + "×" : "") + s.m() + "×" + s.n() + "×" + s.k(), r.ejml(), r.single(), r.multi(),
                    100 * r.single() / peak, r.floatSingle(), r.floatMulti(), 100 * r.floatSingle() / peakF);
            out.flush();
        }
        out.println();
        out.println("Measured goals (the training-step goal is measured by the book's build, model/step):");
        for (GemmBenchmark.Goal g : GemmBenchmark.goals(rows, peak, peakF, peakAll)) {
            out.printf(Locale.ROOT, "  %-8s %-78s %s%n", g.met() ? "met" : "NOT MET", g.goal(), g.measured());
        }
        return 0;
    }
}
