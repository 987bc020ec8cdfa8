package minibert.book;

import minibert.tensor.Gemm;
import minibert.tensor.GemmBenchmark;
import minibert.tensor.SplitExperiment;
import minibert.tensor.TileExperiment;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A short measurement of matrix-product speed on the model's shapes, for the "Making it fast" chapter:
 * EJML, the Vector API kernel on one thread and on all, and the FMA peak measured in the same run.
 */
public final class KernelResults implements ResultProducer {

    @Override
    public String name() {
        return "kernels";
    }

    @Override
    public void produce(Results results) {
        Publication table = results.publish("fast/gemm");
        int reps = results.mode() == Mode.FULL ? 11 : 5;
        double peak = GemmBenchmark.fmaPeak(), peakF = GemmBenchmark.fmaPeakFloat();
        List<GemmBenchmark.Row> rows = GemmBenchmark.run(GemmBenchmark.modelShapes(), reps);
        // the peak again after the products, the larger of the two kept: other work on the machine during one
        // of the two measurements would otherwise understate it, and overstate every share of it
        peak = Math.max(peak, GemmBenchmark.fmaPeak());
        peakF = Math.max(peakF, GemmBenchmark.fmaPeakFloat());
        double peakAll = GemmBenchmark.fmaPeakAllThreads();
        List<List<Object>> cells = new ArrayList<>();
        double[] intensity = new double[rows.size()], ejml = new double[rows.size()], single = new double[rows.size()];
        double[] multi = new double[rows.size()];
        List<String> labels = new ArrayList<>();
        double bestSingle = 0, bestSpeedup = 0;
        for (int i = 0; i < rows.size(); i++) {
            GemmBenchmark.Row r = rows.get(i);
            var s = r.shape();
            // arithmetic intensity: flops per byte of A, B and C moved once
            intensity[i] = 2.0 * s.m() * s.n() * s.k() / (8.0 * ((double) s.m() * s.k() + (double) s.k() * s.n() + 2.0 * s.m() * s.n()));
            ejml[i] = r.ejml();
            single[i] = r.single();
            multi[i] = r.multi();
            labels.add(Integer.toString(i + 1));
            bestSingle = Math.max(bestSingle, r.single() / peak);
            bestSpeedup = Math.max(bestSpeedup, r.single() / r.ejml());
            cells.add(List.of(i + 1, s.label(), (s.batch() > 1 ? s.batch() + " × " : "") + s.m() + "×" + s.n() + "×" + s.k(),
                    fmt("%.1f", r.ejml()), fmt("%.1f", r.single()), fmt("%.1f", r.multi()),
                    fmt("%.0f%%", 100 * r.single() / peak), fmt("%.1f×", r.multi() / r.single()),
                    fmt("%.1f", r.floatSingle()), fmt("%.0f%%", 100 * r.floatSingle() / peakF)));
        }
        table.attribute("peak", fmt("%.0f", peak))
                .attribute("peak-float", fmt("%.0f", peakF))
                .attribute("peak-all", fmt("%.0f", peakAll))
                .attribute("peak-all-scaling", fmt("%.2f", peakAll / peak))
                .attribute("mr", Integer.toString(Gemm.MR))
                .attribute("nr", Integer.toString(Gemm.NR))
                .attribute("kc", Integer.toString(Gemm.KC))
                .attribute("nc", Integer.toString(Gemm.NC))
                .attribute("pieces", Integer.toString(Gemm.PIECES_PER_THREAD))
                .attribute("mc", Integer.toString(Gemm.MC))
                .attribute("lanes", Integer.toString(Gemm.L))
                .attribute("threads", Integer.toString(Gemm.threads()))
                .attribute("best-single-percent", fmt("%.0f", 100 * bestSingle))
                .attribute("best-speedup", fmt("%.0f", bestSpeedup))
                .attribute("reps", Integer.toString(reps))
                .table("GFLOP/s on the model's products (double; median of " + reps + " after warm-up; FMA peak of one core: "
                                + fmt("%.0f", peak) + " GFLOP/s)",
                        List.of("#", "Product", "m×n×k", "EJML", "kernel, 1 thread", "kernel, " + Gemm.threads() + " threads",
                                "1 thread, % of peak", "threads ÷ 1", "float, 1 thread", "float, % of float peak"), cells);
        goals(results, rows, peak, peakF, peakAll);
        Publication tiles = results.publish("fast/tiles");
        List<List<Object>> tileCells = new ArrayList<>();
        for (TileExperiment.Row r : TileExperiment.run(reps)) {
            String tile = r.rows() + "x" + r.vectors();
            tiles.attribute("tile-" + tile + "-percent", fmt("%.0f", 100 * r.gflops() / peak))
                    .attribute("tile-" + tile + "-registers", Integer.toString(r.registers()));
            tileCells.add(List.of(r.rows() + " × " + r.vectors() + " vectors (" + r.rows() + " × " + r.vectors() * Gemm.L + ")",
                    r.rows() * r.vectors(), r.registers(), fmt("%.1f", r.gflops()), fmt("%.0f%%", 100 * r.gflops() / peak)));
        }
        tiles.table("The micro-kernel's inner loop with four tile shapes, panels in the L1 cache (double; median of " + reps
                        + "; FMA peak " + fmt("%.0f", peak) + " GFLOP/s)",
                List.of("Tile of C", "Accumulators", "Vector registers needed", "GFLOP/s", "% of peak"), tileCells);
        split(results, reps);
        results.publish("fast/roofline").plot("Achieved GFLOP/s against arithmetic intensity (numbers as in the table)",
                Plot.of("flops per byte moved (log)", "GFLOP/s (log)").logX().logY()
                        .points("EJML", intensity, ejml, null)
                        .points("kernel, 1 thread", intensity, single, labels)
                        .points("kernel, " + Gemm.threads() + " threads", intensity, multi, null)
                        .reference(fmt("FMA peak, one core: %.0f", peak), peak)
                        .reference(fmt("%d cores at once, measured: %.0f", Gemm.threads(), peakAll), peakAll));
    }

    /** How the two threads share the pieces of one product, each piece timed ({@link SplitExperiment}). */
    private static void split(Results results, int reps) {
        Publication split = results.publish("fast/split");                 // before the run, so that its time is the run's
        SplitExperiment.Result r = SplitExperiment.run(2 * reps + 1);
        double gflops = SplitExperiment.flops() / 1e3;                      // flops per µs ÷ 1000 = GFLOP/s
        split.attribute("pieces", Integer.toString(r.pieces()))
                .attribute("alone-us", fmt("%.0f", r.pieceAlone()))
                .attribute("caller-pieces", fmt("%.0f", r.callerPieces()))
                .attribute("caller-us", perPiece(r.callerPerPiece()))
                .attribute("other-pieces", fmt("%.0f", r.otherPieces()))
                .attribute("other-us", perPiece(r.otherPerPiece()))
                .attribute("dynamic-us", fmt("%.0f", r.dynamic()))
                .attribute("fixed-us", fmt("%.0f", r.fixedShares()))
                .table("x·Wᵀ (2048 × 192 × 192) in " + r.pieces() + " pieces on " + Gemm.threads() + " threads, each piece timed "
                                + "(medians of " + (2 * reps + 1) + " rounds)",
                        List.of("", "pieces", "µs per piece", "µs for the product", "GFLOP/s"),
                        List.of(List.of("one piece alone, on the calling thread", 1, fmt("%.0f", r.pieceAlone()), "", ""),
                                List.of("the calling thread, while all run", fmt("%.0f", r.callerPieces()),
                                        perPiece(r.callerPerPiece()), "", ""),
                                List.of("the pool's other threads, while all run", fmt("%.0f", r.otherPieces()),
                                        perPiece(r.otherPerPiece()), "", ""),
                                List.of("pieces taken as the threads become free", r.pieces(), "", fmt("%.0f", r.dynamic()),
                                        fmt("%.1f", gflops / r.dynamic())),
                                List.of("one fixed share per thread", Gemm.threads(), "", fmt("%.0f", r.fixedShares()),
                                        fmt("%.1f", gflops / r.fixedShares()))));
    }

    /** µs per piece, or a dash when a thread took no piece in any round. */
    private static String perPiece(double micros) {
        return Double.isNaN(micros) ? "—" : fmt("%.0f", micros);
    }

    /**
     * The fast-kernel issue's measured goals against this build's figures. Timing never fails a build: the
     * table says which goals this run met, on a machine shared with other work.
     */
    private static void goals(Results results, List<GemmBenchmark.Row> rows, double peak, double peakF, double peakAll) {
        List<List<Object>> cells = new ArrayList<>();
        for (GemmBenchmark.Goal g : GemmBenchmark.goals(rows, peak, peakF, peakAll)) {
            cells.add(List.of(g.goal(), g.measured(), g.met() ? "met" : "not met"));
        }
        String step = "training step: arithmetic rate at least 50% of the kernel's rate on the FFN product";
        var stepShare = results.findAttribute("model/step", "share-percent");   // absent when the model producer did not run
        cells.add(stepShare.isPresent()
                ? List.of(step, stepShare.get() + "%", Double.parseDouble(stepShare.get()) >= 50 ? "met" : "not met")
                : List.of(step, "not measured in this run", "—"));
        long met = cells.stream().filter(c -> c.get(2).equals("met")).count();
        results.publish("fast/goals")
                .attribute("met", Long.toString(met))
                .attribute("goals", Integer.toString(cells.size()))
                .table("The kernels' measured goals, in this build", List.of("Goal", "Measured", ""), cells);
    }

    private static String fmt(String f, Object... a) {
        return String.format(Locale.ROOT, f, a);
    }
}
