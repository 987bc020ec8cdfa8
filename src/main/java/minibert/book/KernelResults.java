package minibert.book;

import minibert.bench.Comparison;
import minibert.bench.GemmBenchmark;
import minibert.bench.HandOff;
import minibert.bench.MemoryBandwidth;
import minibert.bench.ModelProducts;
import minibert.bench.PackingShare;
import minibert.bench.ThreadScaling;
import minibert.bench.ProductShape;
import minibert.bench.Sample;
import minibert.bench.SplitExperiment;
import minibert.bench.TileExperiment;
import minibert.tensor.Gemm;
import minibert.tensor.OpenBlas;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The measurements of the "Making it fast" chapter, on the products of one training step
 * ({@link ModelProducts}): EJML and the Vector API kernel on one thread and on all, the FMA peak and the memory
 * bandwidth measured in the same run, the micro-kernel's tiles (in the inner loop and in the whole product), and
 * how the threads share a product. Every sentence of the chapter that compares these figures is written here,
 * from the figures: the chapter quotes it, so it cannot say what the run did not measure.
 */
public final class KernelResults implements ResultProducer {

    @Override
    public String name() {
        return "kernels";
    }

    @Override
    public void produce(Results results) {
        ModelProducts products = ModelProducts.load(ProjectFiles.projectDir());
        Publication table = results.publish("fast/gemm").config(ProjectFiles.projectDir().resolve(ModelProducts.TRAIN_CONFIG));
        int reps = results.mode() == Mode.FULL ? 11 : 5;
        double peak = GemmBenchmark.fmaPeak(), peakF = GemmBenchmark.fmaPeakFloat();
        List<GemmBenchmark.Row> rows = GemmBenchmark.run(products.shapes(), reps);
        // the peak again after the products, the larger of the two kept: other work on the machine during one
        // of the two measurements would otherwise understate it, and overstate every share of it
        peak = Math.max(peak, GemmBenchmark.fmaPeak());
        peakF = Math.max(peakF, GemmBenchmark.fmaPeakFloat());
        double peakAll = GemmBenchmark.fmaPeakAllThreads();
        MemoryBandwidth.Result bw = MemoryBandwidth.triad(1, reps), bwAll = MemoryBandwidth.triad(Gemm.threads(), reps);
        List<List<Object>> cells = new ArrayList<>();
        double bestSingle = 0, bestSpeedup = 0, bestEjml = 0;
        double[] spreads = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            GemmBenchmark.Row r = rows.get(i);
            ProductShape s = r.shape();
            bestSingle = Math.max(bestSingle, r.single().median() / peak);
            bestSpeedup = Math.max(bestSpeedup, r.single().median() / r.ejml().median());
            bestEjml = Math.max(bestEjml, r.ejml().median() / peak);
            spreads[i] = r.single().spread();
            cells.add(List.of(i + 1, s.label(), s.dims(), fmt("%.1f", s.intensity()),
                    fmt("%.1f", r.ejml().median()), range(r.single()), fmt("%.1f", r.multi().median()),
                    fmt("%.0f%%", 100 * r.single().median() / peak), fmt("%.1f×", r.multi().median() / r.single().median()),
                    fmt("%.1f", r.floatSingle().median()), fmt("%.0f%%", 100 * r.floatSingle().median() / peakF)));
        }
        double spreadMedian = Sample.of(spreads).median(), spreadMax = Sample.of(spreads).max();
        // the FMA loop's gain from all threads bounds what a product's arithmetic can gain: a figure above it means
        // other work slowed one of the two runs it compares
        double loopGain = peakAll / peak, mostGain = 0;
        int beyond = 0, mostAt = 0;
        for (int i = 0; i < rows.size(); i++) {
            double gain = rows.get(i).multi().median() / rows.get(i).single().median();
            beyond += gain > loopGain ? 1 : 0;
            if (gain > mostGain) {
                mostGain = gain;
                mostAt = i + 1;
            }
        }
        table.attribute("beyond-loop", beyond == 0
                ? fmt("no product in the table below gained more (the most: %.2f×, on #%d)", mostGain, mostAt)
                : fmt("in this run %d of the products below gained more (up to %.2f×, on #%d), which only other work "
                        + "slowing one of the two runs that the gain compares can explain", beyond, mostGain, mostAt));
        int rowPiece = Gemm.rowPieceSize(products.rows(), Gemm.MR);             // rows of a piece when Gemm splits rows
        table.attribute("peak", fmt("%.0f", peak))
                .attribute("peak-float", fmt("%.0f", peakF))
                .attribute("peak-float-ratio", fmt("%.2f", peakF / peak))
                .attribute("peak-float-note", peakF / peak > 2
                        ? ", more than twice: each peak is the best of its own runs, and other work on the machine held the "
                                + "double loop's runs back more than the float loop's"
                        : "")
                .attribute("peak-all-note", peakAll / peak > Gemm.threads()
                        ? fmt(" (more than %d times: other work held back the runs of the loop on one core)", Gemm.threads())
                        : "")
                .attribute("peak-all", fmt("%.0f", peakAll))
                .attribute("peak-all-scaling", fmt("%.2f", peakAll / peak))
                .attribute("mr", Integer.toString(Gemm.MR))
                .attribute("accumulators", Integer.toString(2 * Gemm.MR))
                .attribute("loads", Integer.toString(2 + Gemm.MR))
                .attribute("nr", Integer.toString(Gemm.NR))
                .attribute("kc", Integer.toString(Gemm.KC))
                .attribute("nc", Integer.toString(Gemm.NC))
                .attribute("pieces", Integer.toString(Gemm.PIECES_PER_THREAD))
                .attribute("row-pieces", Integer.toString((products.rows() + rowPiece - 1) / rowPiece))
                .attribute("whole-b", fmt("%,d", Gemm.WHOLE_B))
                .attribute("i-blocks", Integer.toString((products.intermediate() + Gemm.KC - 1) / Gemm.KC))
                .attribute("rows-blocks", Integer.toString((products.rows() + Gemm.KC - 1) / Gemm.KC))
                .attribute("mc", Integer.toString(Gemm.MC))
                .attribute("lanes", Integer.toString(Gemm.L))
                .attribute("threads", Integer.toString(Gemm.threads()))
                .attribute("rows", Integer.toString(products.rows()))
                .attribute("masked", Integer.toString(products.masked()))
                .attribute("best-single-percent", fmt("%.0f", 100 * bestSingle))
                .attribute("best-speedup", fmt("%.0f", bestSpeedup))
                .attribute("ejml-best-percent", fmt("%.0f", 100 * bestEjml))
                .attribute("spread-median-percent", fmt("%.0f", 100 * spreadMedian))
                .attribute("spread-max-percent", fmt("%.0f", 100 * spreadMax))
                .attribute("reps", Integer.toString(reps))
                .table("GFLOP/s on the products of one training step (double unless marked; medians of " + reps
                                + " rounds, the kernel on one thread with its slowest and fastest run; FMA peak of one core: "
                                + fmt("%.0f", peak) + " GFLOP/s)",
                        List.of("#", "Product", "m×n×k", "flops per byte", "EJML", "kernel, 1 thread (slowest–fastest)",
                                "kernel, " + Gemm.threads() + " threads", "1 thread, % of peak", "threads ÷ 1",
                                "float, 1 thread", "float, % of float peak"), cells);
        goals(results, rows, peak, peakF, peakAll);
        openBlas(results, rows);
        bandwidth(results, bw, bwAll, peak, peakAll);
        roofline(results, rows, peak, peakAll, bw.gbPerSecond().median(), bwAll.gbPerSecond().median());
        tiles(results, products, reps, peak);
        split(results, products, reps);
        handOff(results, reps);
        packing(results, products, reps);
        scaling(results, products, reps, peakAll / peak);
        exercises(results, products, rows, peak, bw.gbPerSecond().median());
    }

    /**
     * Every shape by EJML, the kernel and OpenBLAS, measured in the same rounds, with the kernel's rate as a share of
     * OpenBLAS's, in both precisions, on one thread and on all; and the sentences the chapter quotes about them.
     */
    private static void openBlas(Results results, List<GemmBenchmark.Row> rows) {
        Publication pub = results.publish("fast/openblas").config(ProjectFiles.projectDir().resolve(ModelProducts.TRAIN_CONFIG));
        if (!OpenBlas.available()) {
            throw new IllegalStateException("OpenBLAS, the chapter's anchor, did not load in this build");
        }
        int t = Gemm.threads();
        List<List<Object>> cells = new ArrayList<>();
        double worst = Double.MAX_VALUE, best = 0;
        int below = 0, ratios = 0;
        String worstWhere = "";
        String[] ways = {"double, 1 thread", "double, " + t + " threads", "float, 1 thread", "float, " + t + " threads"};
        for (int i = 0; i < rows.size(); i++) {
            GemmBenchmark.Row r = rows.get(i);
            double[] q = r.ratios();
            for (int w = 0; w < q.length; w++) {
                ratios++;
                below += q[w] < 0.9 ? 1 : 0;
                best = Math.max(best, q[w]);
                if (q[w] < worst) {
                    worst = q[w];
                    worstWhere = r.shape().label().strip() + " (" + ways[w] + ")";
                }
            }
            cells.add(List.of(i + 1, r.shape().label(), fmt("%.1f", r.ejml().median()),
                    fmt("%.1f", r.single().median()), fmt("%.1f", r.blasSingle().median()), fmt("%.2f", q[0]),
                    fmt("%.1f", r.multi().median()), fmt("%.1f", r.blasMulti().median()), fmt("%.2f", q[1]),
                    fmt("%.1f", r.floatSingle().median()), fmt("%.1f", r.blasFloatSingle().median()), fmt("%.2f", q[2]),
                    fmt("%.1f", r.floatMulti().median()), fmt("%.1f", r.blasFloatMulti().median()), fmt("%.2f", q[3])));
        }
        pub.attribute("config", OpenBlas.config())
                .attribute("core", OpenBlas.coreName())
                .attribute("worst-ratio", fmt("%.2f", worst))
                .attribute("worst-where", worstWhere)
                .attribute("best-ratio", fmt("%.2f", best))
                .attribute("below", Integer.toString(below))
                .attribute("ratios", Integer.toString(ratios))
                .attribute("verdict", below == 0
                        ? "In this run the kernel reached at least 0.9 of OpenBLAS's rate on every shape, both precisions, one thread and "
                                + t + ": the goal was met"
                        : fmt("In this run the kernel fell below 0.9 of OpenBLAS's rate in %d of the %d comparisons: "
                                + "the goal was not met", below, ratios))
                .table("GFLOP/s on the products of one training step, EJML, the kernel (\"kern.\") and OpenBLAS (\"OB\") "
                                + "taking turns in the same rounds (medians), and the kernel's rate over OpenBLAS's (÷); "
                                + OpenBlas.config(),
                        List.of("#", "Product", "EJML", "kern. 1 thr.", "OB 1 thr.", "÷", "kern. " + t + " thr.", "OB " + t + " thr.", "÷",
                                "float kern. 1 thr.", "float OB 1 thr.", "÷", "float kern. " + t + " thr.", "float OB " + t + " thr.", "÷"),
                        cells);
    }

    /** The triad's bandwidth on one thread and on all, beside the peaks: the roofline's two roofs. */
    private static void bandwidth(Results results, MemoryBandwidth.Result one, MemoryBandwidth.Result all, double peak,
                                  double peakAll) {
        double gb = one.gbPerSecond().median(), gbAll = all.gbPerSecond().median();
        long cache = MemoryBandwidth.largestCacheBytes();
        results.publish("fast/bandwidth")
                .attribute("gbs", fmt("%.1f", gb))
                .attribute("gbs-all", fmt("%.1f", gbAll))
                .attribute("array-mib", Long.toString(one.arrayBytes() >> 20))
                .attribute("cache-mib", cache == 0 ? "unknown" : Long.toString(cache >> 20))
                .attribute("ridge", fmt("%.1f", peak / gb))
                .attribute("ridge-all", fmt("%.1f", peakAll / gbAll))
                .table("Memory bandwidth by the triad a = b + s·c over three arrays of " + (one.arrayBytes() >> 20)
                                + " MiB each (largest cache reported: " + (cache == 0 ? "unknown" : (cache >> 20) + " MiB")
                                + "), 24 bytes per element; medians of " + one.gbPerSecond().runs() + " passes",
                        List.of("Threads", "GB/s (slowest–fastest)", "FMA peak, GFLOP/s", "Ridge point: peak ÷ bandwidth, flops per byte"),
                        List.of(List.of(1, range(one.gbPerSecond()), fmt("%.0f", peak), fmt("%.1f", peak / gb)),
                                List.of(all.threads(), range(all.gbPerSecond()), fmt("%.0f", peakAll), fmt("%.1f", peakAll / gbAll))));
    }

    /** Every product at its arithmetic intensity, under both roofs: min(peak, intensity × bandwidth). */
    private static void roofline(Results results, List<GemmBenchmark.Row> rows, double peak, double peakAll, double gb,
                                 double gbAll) {
        int n = rows.size();
        double[] intensity = new double[n], ejml = new double[n], single = new double[n], multi = new double[n];
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            GemmBenchmark.Row r = rows.get(i);
            intensity[i] = r.shape().intensity();
            ejml[i] = r.ejml().median();
            single[i] = r.single().median();
            multi[i] = r.multi().median();
            labels.add(Integer.toString(i + 1));
        }
        double lo = Math.min(Arrays.stream(intensity).min().orElse(1), peak / gb) / 2;
        double hi = Math.max(Arrays.stream(intensity).max().orElse(1), peakAll / gbAll) * 2;
        results.publish("fast/roofline").plot("Achieved GFLOP/s against arithmetic intensity, under the roofs measured in the "
                        + "same run (numbers as in the table)",
                Plot.of("flops per byte moved (log)", "GFLOP/s (log)").logX().logY()
                        .line(fmt("roof, one core: %.0f GFLOP/s, %.1f GB/s", peak, gb), roofX(lo, hi, peak / gb), roof(lo, hi, peak, gb))
                        .line(fmt("roof, %d cores: %.0f GFLOP/s, %.1f GB/s", Gemm.threads(), peakAll, gbAll),
                                roofX(lo, hi, peakAll / gbAll), roof(lo, hi, peakAll, gbAll))
                        .points("EJML", intensity, ejml, null)
                        .points("kernel, 1 thread", intensity, single, labels)
                        .points("kernel, " + Gemm.threads() + " threads", intensity, multi, null));
    }

    /** The x of a roof: its ends and its ridge point. */
    private static double[] roofX(double lo, double hi, double ridge) {
        return ridge > lo && ridge < hi ? new double[] {lo, ridge, hi} : new double[] {lo, hi};
    }

    private static double[] roof(double lo, double hi, double peak, double gb) {
        double[] x = roofX(lo, hi, peak / gb);
        return Arrays.stream(x).map(v -> Math.min(peak, v * gb)).toArray();
    }

    /**
     * The tiles: the inner loop of four tiles on panels in the L1 cache, and the whole product with each of
     * {@link Gemm.Tile}'s tiles; and the sentences the chapter quotes about them, written from these figures.
     */
    private static void tiles(Results results, ModelProducts products, int reps, double peak) {
        int rounds = 2 * reps + 1;
        Publication inner = results.publish("fast/tiles");
        List<TileExperiment.Row> rows = TileExperiment.innerLoop(rounds);
        int available = vectorRegisters();
        TileExperiment.Row kernelTile = rows.stream().filter(r -> r.rows() == Gemm.MR && r.vectors() == 2).findFirst().orElseThrow();
        List<List<Object>> cells = new ArrayList<>();
        for (TileExperiment.Row r : rows) {
            String tile = r.rows() + "x" + r.vectors();
            inner.attribute("tile-" + tile + "-percent", fmt("%.0f", 100 * r.gflops().median() / peak))
                    .attribute("tile-" + tile + "-registers", Integer.toString(r.registers()));
            cells.add(List.of(r.rows() + " × " + r.vectors() + " vectors (" + r.rows() + " × " + r.vectors() * Gemm.L + ")",
                    r.rows() * r.vectors(), r.registers(), range(r.gflops()), fmt("%.0f%%", 100 * r.gflops().median() / peak)));
        }
        List<TileExperiment.Row> ranked = rows.stream()
                .sorted(Comparator.comparingDouble((TileExperiment.Row r) -> r.gflops().median()).reversed()).toList();
        StringBuilder order = new StringBuilder();
        for (TileExperiment.Row r : ranked) {
            order.append(order.isEmpty() ? "" : ", then ").append(tileName(r)).append(fmt(" (%.0f%% of the peak)", 100 * r.gflops().median() / peak));
        }
        // a tile that needs every vector register leaves none for anything else the loop holds: "room" is strictly
        // fewer; each tile with room against each without, round by round
        List<TileExperiment.Row> room = rows.stream().filter(r -> r.registers() < available).toList();
        List<TileExperiment.Row> full = rows.stream().filter(r -> r.registers() >= available).toList();
        int roomFaster = 0, roomSlower = 0, pairs = room.size() * full.size();
        for (TileExperiment.Row f : room) {
            for (TileExperiment.Row o : full) {
                Comparison.Verdict v = f.versus(o).trusted();
                roomFaster += v == Comparison.Verdict.FASTER ? 1 : 0;
                roomSlower += v == Comparison.Verdict.SLOWER ? 1 : 0;
            }
        }
        String registers;
        if (full.isEmpty()) {
            registers = "Every tile measured leaves some of the " + available
                    + " vector registers free, so the register count does not separate them here";
        } else if (roomFaster == pairs) {
            registers = "Round by round, every tile that leaves a vector register free was faster than every tile that needs all "
                    + available + " or more";
        } else if (roomSlower > 0) {
            registers = "The register count alone does not order them: round by round, a tile that needs all " + available
                    + " vector registers or more was faster than one that leaves some free, so the JIT's code for each loop, "
                    + "and not only its registers, decides";
        } else if (roomFaster == 0) {
            registers = "Round by round, this run did not settle whether the tiles that leave a vector register free are faster "
                    + "than those that need all " + available + " or more";
        } else {
            registers = "Round by round, a tile that leaves a vector register free was faster than one that needs all "
                    + available + " or more in " + roomFaster + " of the " + pairs + " pairings; the others this run did not settle";
        }
        Comparison top = ranked.get(0).versus(ranked.get(1));
        inner.attribute("registers-available", Integer.toString(available))
                .attribute("order", order.toString())
                .attribute("registers-sentence", registers)
                .attribute("top-two", top.trusted() == Comparison.Verdict.FASTER
                        ? "Round by round, " + tileName(ranked.get(0)) + " was faster than " + tileName(ranked.get(1)) + " ("
                                + top.describe() + ")"
                        : "Round by round, the two fastest by median, " + tileName(ranked.get(0)) + " and " + tileName(ranked.get(1))
                                + ", were not clearly apart (" + top.describe() + (top.halvesAgree() ? "" : "; the halves of the run disagree")
                                + ")")
                .table("The micro-kernel's inner loop with four tile shapes, panels in the L1 cache (double; medians of "
                                + rounds + " rounds, the tiles taking turns, with the slowest and fastest round; FMA peak "
                                + fmt("%.0f", peak) + " GFLOP/s)",
                        List.of("Tile of C", "Accumulators", "Vector registers needed", "GFLOP/s (slowest–fastest)", "% of peak"), cells);

        // the whole product, the kernel's tile against the others, round by round
        Publication kernel = results.publish("fast/tiles-kernel").config(ProjectFiles.projectDir().resolve(ModelProducts.TRAIN_CONFIG));
        List<TileExperiment.KernelRow> measured = TileExperiment.inKernel(
                List.of(products.projection(), products.ffnUp(), products.ffnWeightGradient()), rounds);
        List<List<Object>> kernelCells = new ArrayList<>();
        int faster = 0, slower = 0, unclear = 0, disagree = 0;
        for (TileExperiment.KernelRow k : measured) {
            Comparison.Verdict v = k.versus().trusted();
            faster += v == Comparison.Verdict.FASTER ? 1 : 0;
            slower += v == Comparison.Verdict.SLOWER ? 1 : 0;
            unclear += v == Comparison.Verdict.NO_CLEAR_DIFFERENCE ? 1 : 0;
            disagree += k.versus().halvesAgree() ? 0 : 1;
            kernelCells.add(List.of(k.shape().label(), k.shape().dims(), k.precision(), range(k.tileRate()), range(k.otherRate()),
                    fmt("%.2f×", k.versus().median()), fmt("%.2f–%.2f", k.versus().sample().min(), k.versus().sample().max()),
                    k.versus().wins() + " of " + k.versus().rounds(), verdictWords(k.versus())));
        }
        String kernelTileName = Gemm.TILE.rows + " × 2", otherName = otherTiles();
        String decision;
        if (faster == measured.size()) {
            decision = "In this run the " + otherName + " tile was faster in the whole product on every measured product, in both "
                    + "precisions, and both halves of the run agreed: on this machine it is the better tile, and the kernel's "
                    + kernelTileName + " should be measured again against it on a quiet machine";
        } else if (faster == 0) {
            decision = "In this run the " + otherName + " tile was not clearly faster in the whole product on any measured product ("
                    + slower + " slower, " + unclear + " without a clear difference"
                    + (disagree > 0 ? ", " + disagree + " of them because the two halves of the run disagreed" : "")
                    + "), so the run gives no reason to change the kernel's " + kernelTileName + " tile";
        } else {
            decision = "In this run the " + otherName + " tile was faster in the whole product on " + faster + " of the "
                    + measured.size() + " measured products and slower on " + slower + " (" + unclear + " without a clear difference"
                    + (disagree > 0 ? ", " + disagree + " of them because the two halves of the run disagreed" : "")
                    + "): the run does not settle the choice, and the kernel keeps its " + kernelTileName + " tile";
        }
        kernel.attribute("tile", kernelTileName)
                .attribute("agreement-percent", fmt("%.0f", 100 * Comparison.AGREEMENT))
                .attribute("margin-percent", fmt("%.0f", 100 * Comparison.MARGIN))
                .attribute("other", otherName)
                .attribute("decision", decision)
                .attribute("rounds", Integer.toString(rounds))
                .attribute("inner-kernel-percent", fmt("%.0f", 100 * kernelTile.gflops().median() / peak))
                .table("The whole product on one thread with the kernel's " + kernelTileName + " tile and with the " + otherName
                                + " tile, taking turns for " + rounds + " rounds (GFLOP/s: median, slowest–fastest; the ratio is "
                                + otherName + " ÷ " + kernelTileName + " within each round)",
                        List.of("Product", "m×n×k", "Precision", kernelTileName + " tile", otherName + " tile", "Ratio, median",
                                "Ratio, lowest–highest", otherName + " faster in", "Verdict"), kernelCells);
    }

    /** The tiles of {@link Gemm.Tile} other than the kernel's, e.g. "6 × 2". */
    private static String otherTiles() {
        return String.join(" and ", Arrays.stream(Gemm.Tile.values()).filter(t -> t != Gemm.TILE).map(t -> t.rows + " × 2").toList());
    }

    private static String tileName(TileExperiment.Row r) {
        return r.rows() + " × " + r.vectors();
    }

    /** The vector registers of this machine's instruction set: 32 with 512-bit vectors or on AArch64, 16 with AVX2. */
    static int vectorRegisters() {
        String arch = System.getProperty("os.arch", "");
        return arch.contains("aarch64") || Gemm.S.vectorBitSize() >= 512 ? 32 : 16;
    }

    /** A comparison's verdict in words, with the halves' agreement. */
    static String verdictWords(Comparison c) {
        if (!c.halvesAgree()) {
            return "unsettled: the halves of the run disagree";
        }
        return switch (c.verdict()) {
            case FASTER -> "faster";
            case SLOWER -> "slower";
            case NO_CLEAR_DIFFERENCE -> "no clear difference";
        };
    }

    /**
     * One product per thread against one alone ({@link ThreadScaling}), beside what the FMA loop gains from the
     * threads: the most a split product could gain on this machine.
     */
    private static void scaling(Results results, ModelProducts products, int reps, double fmaScaling) {
        List<ThreadScaling.Row> rows = ThreadScaling.run(List.of(products.projection(), products.ffnUp(),
                products.ffnWeightGradient()), Math.max(reps, 7));
        List<List<Object>> cells = new ArrayList<>();
        double best = 0;
        List<String> near = new ArrayList<>(), held = new ArrayList<>();
        for (ThreadScaling.Row r : rows) {
            best = Math.max(best, r.ratio().median());
            (r.ratio().median() < 0.85 * fmaScaling ? held : near).add(r.shape().label().strip());
            cells.add(List.of(r.shape().label(), r.shape().dims(), fmt("%.1f", r.alone().median()),
                    fmt("%.1f", r.together().median()), fmt("%.2f×", r.ratio().median())));
        }
        cells.add(List.of("the FMA loop (no memory)", "", "", "", fmt("%.2f×", fmaScaling)));
        results.publish("fast/scaling").config(ProjectFiles.projectDir().resolve(ModelProducts.TRAIN_CONFIG))
                .attribute("best", fmt("%.2f", best))
                .attribute("fma", fmt("%.2f", fmaScaling))
                .attribute("threads", Integer.toString(Gemm.threads()))
                .attribute("verdict", near.isEmpty()
                        ? "so on this machine threads that each work on their own data are held back by what the cores share "
                                + "(the caches past L2, and memory), not by a split; a split product whose threads share what is "
                                + "packed, as the kernel's and OpenBLAS's do, moves less through them"
                        : held.isEmpty()
                        ? "so independent products gain about what the FMA loop gains, and a split product that gains less "
                                + "loses it in the split"
                        : "so some independent products gained about what the FMA loop gains (" + String.join("; ", near)
                                + ") and others less (" + String.join("; ", held) + "): what the cores share (the caches past "
                                + "L2, and memory) held those back, and a split product of the first kind that gains less "
                                + "loses it in the split")
                .table("One float product per thread at once (their sum) against one alone, on " + Gemm.threads()
                                + " threads, taking turns for " + rows.get(0).ratio().runs() + " rounds (GFLOP/s, medians; the "
                                + "gain is the median of the rounds' own ratios, which need not be the ratio of the two medians)",
                        List.of("Product", "m × n × k", "One alone", "One per thread, together", "Gain (per round)"), cells);
    }

    /** Packing's share of each product, one thread, both precisions ({@link PackingShare}). */
    private static void packing(Results results, ModelProducts products, int reps) {
        List<PackingShare.Row> rows = PackingShare.run(products.shapes(), Math.max(reps, 7));
        List<List<Object>> cells = new ArrayList<>();
        PackingShare.Row worst = rows.get(0);
        for (PackingShare.Row r : rows) {
            cells.add(List.of(r.shape().label(), r.shape().dims(), fmt("%,.0f", r.wholeMicros().median()),
                    fmt("%.0f%%", 100 * r.share().median()), fmt("%,.0f", r.wholeMicrosFloat().median()),
                    fmt("%.0f%%", 100 * r.shareFloat().median())));
            if (Math.max(r.share().median(), r.shareFloat().median()) > Math.max(worst.share().median(), worst.shareFloat().median())) {
                worst = r;
            }
        }
        results.publish("fast/packing").config(ProjectFiles.projectDir().resolve(ModelProducts.TRAIN_CONFIG))
                .attribute("worst", worst.shape().label().strip())
                .attribute("worst-share", fmt("%.0f%%", 100 * Math.max(worst.share().median(), worst.shareFloat().median())))
                .table("Packing's share of each product on one thread: the whole product and its packing passes alone "
                                + "taking turns for " + rows.get(0).share().runs() + " rounds (medians of the rounds' ratios)",
                        List.of("Product", "m × n × k", "Whole product, double (µs)", "Packing, double",
                                "Whole product, float (µs)", "Packing, float"), cells);
    }

    /** What handing a parallel call to the pool's threads costs, with the spinning team and with the executor. */
    private static void handOff(Results results, int reps) {
        Publication pub = results.publish("fast/handoff");
        HandOff.Result r = HandOff.run(2 * reps + 1, 200);
        double team = r.team().median(), executor = r.executor().median();
        pub.attribute("team-us", fmt("%.1f", team))
                .attribute("executor-us", fmt("%.0f", executor))
                .attribute("rounds", Integer.toString(r.team().runs()))
                .attribute("comparison", executor > team
                        ? fmt("%.0f", executor / team) + " times as long as the team's"
                        : "no longer than the team's in this build")
                .table("Handing a parallel call whose two shares do nothing to the pool's threads and waiting for them "
                                + "(µs per call; each round the median of 200 calls, the two ways taking turns for "
                                + r.team().runs() + " rounds)",
                        List.of("Threads", "Median (µs)", "Fastest round", "Slowest round"),
                        List.of(List.of("spinning team", fmt("%.1f", team), fmt("%.1f", r.team().min()), fmt("%.1f", r.team().max())),
                                List.of("executor (parked threads)", fmt("%.1f", executor), fmt("%.1f", r.executor().min()),
                                        fmt("%.1f", r.executor().max()))));
    }

    /** How the threads share the pieces of one product, each piece timed, as the machine is and with a busy thread. */
    private static void split(Results results, ModelProducts products, int reps) {
        Publication split = results.publish("fast/split");                 // before the run, so that its time is the run's
        ProductShape product = products.projection();
        int rounds = 2 * reps + 1;
        List<SplitExperiment.Result> measured = SplitExperiment.run(product, rounds);
        double gflops = product.flops() / 1e3;                              // flops per µs ÷ 1000 = GFLOP/s
        List<List<Object>> cells = new ArrayList<>();
        List<String> sentences = new ArrayList<>();
        for (SplitExperiment.Result r : measured) {
            String key = r.condition().startsWith("as") ? "quiet" : "busy";
            cells.add(List.of(r.condition(), "one piece alone, on the calling thread", 1, range(r.pieceAlone()), "", ""));
            cells.add(List.of("", "the calling thread, while all run", fmt("%.0f", r.callerPieces().median()),
                    range(r.callerPerPiece()), "", ""));
            cells.add(List.of("", "the pool's other threads, while all run", fmt("%.0f", r.otherPieces()), range(r.otherPerPiece()), "", ""));
            cells.add(List.of("", "pieces taken as the threads become free", r.pieces(), "", range(r.dynamic()),
                    fmt("%.1f", gflops / r.dynamic().median())));
            cells.add(List.of("", "one fixed share per thread", Gemm.threads(), "", range(r.fixedShares()),
                    fmt("%.1f", gflops / r.fixedShares().median())));
            Comparison c = r.piecesVersusFixed();
            String verdict = switch (c.trusted()) {
                case FASTER -> "the pieces were faster, in " + c.wins() + " of " + c.rounds() + " rounds";
                case SLOWER -> "the fixed shares were faster, in " + (c.rounds() - c.wins()) + " of " + c.rounds() + " rounds";
                case NO_CLEAR_DIFFERENCE -> c.halvesAgree()
                        ? "neither was clearly faster (the pieces won " + c.wins() + " of " + c.rounds() + " rounds)"
                        : "the two halves of the run disagreed, so it cannot say which was faster";
            };
            sentences.add(r.condition() + ", the product took " + us(r.dynamic()) + " with the pieces and " + us(r.fixedShares())
                    + " with fixed shares: " + verdict);
            split.attribute(key + "-verdict", c.trusted().name().toLowerCase(Locale.ROOT).replace('_', '-'))
                    .attribute(key + "-dynamic-us", fmt("%.0f", r.dynamic().median()))
                    .attribute(key + "-fixed-us", fmt("%.0f", r.fixedShares().median()))
                    .attribute(key + "-alone-us", fmt("%.0f", r.pieceAlone().median()))
                    .attribute(key + "-caller-ratio", fmt("%.2f", r.callerPerPiece().median() / r.pieceAlone().median()))
                    .attribute(key + "-other-ratio", fmt("%.2f", r.otherPerPiece().median() / r.pieceAlone().median()));
        }
        Comparison.Verdict quiet = measured.get(0).piecesVersusFixed().trusted(), busy = measured.get(1).piecesVersusFixed().trusted();
        String conclusion;
        if (busy == Comparison.Verdict.FASTER && quiet != Comparison.Verdict.SLOWER) {
            conclusion = "This run bears the design out: with a thread slowed the pieces won, and without one they cost no clear time";
        } else if (busy == Comparison.Verdict.FASTER) {
            conclusion = "This run shows both sides: with a thread slowed the pieces won, and without one they cost time";
        } else if (quiet == Comparison.Verdict.SLOWER || busy == Comparison.Verdict.SLOWER) {
            conclusion = "This run does not bear the design out: the pieces cost more than they saved, even with a thread slowed";
        } else {
            conclusion = "This run cannot tell the two apart, with or without a slowed thread";
        }
        split.attribute("pieces", Integer.toString(measured.get(0).pieces()))
                .attribute("rows", Integer.toString(product.m()))
                .attribute("rounds", Integer.toString(rounds))
                .attribute("quiet-sentence", sentences.get(0))
                .attribute("busy-sentence", sentences.get(1))
                .attribute("conclusion", conclusion)
                .table(product.label().strip() + " (" + product.dims() + ") in " + measured.get(0).pieces() + " pieces on "
                                + Gemm.threads() + " threads, each piece timed; pieces and fixed shares taking turns for "
                                + rounds + " rounds (µs: median, slowest–fastest)",
                        List.of("Condition", "", "Pieces", "µs per piece", "µs for the product", "GFLOP/s"), cells);
    }

    /** The answers to the chapter's exercises, computed from the same constants and figures. */
    private static void exercises(Results results, ModelProducts products, List<GemmBenchmark.Row> rows, double peak, double gb) {
        int big = TileExperiment.registers(6, 4);
        results.publish("exercises/fast-registers").table("Registers of a 6 × 4-vector tile",
                List.of("Accumulators", "Vectors of B", "Broadcast", "Total", "Fits AVX2's 16?", "Fits AVX-512's 32?"),
                List.of(List.of(24, 4, 1, big, big <= 16 ? "yes" : "no", big <= 32 ? "yes" : "no")));

        ProductShape att = products.shapes().get(products.shapes().size() - 1), ffn = products.ffnUp();
        Function<ProductShape, List<Object>> packing = s -> {
            double copied = (double) s.m() * s.k() * Math.ceil((double) s.n() / Gemm.NC) + (double) s.k() * s.n();
            double flops = s.flops() / s.batch();
            return List.of(s.label().strip(), s.m() + "×" + s.n() + "×" + s.k(), fmt("%.0f KiB", 8.0 * (s.m() * s.k() + s.k() * s.n()
                    + s.m() * s.n()) / 1024), s.k() <= Gemm.KC && s.n() <= Gemm.NC ? "no" : "yes", fmt("%,.0f", copied),
                    fmt("%,.0f", flops / copied), s.m() % Gemm.MR == 0 ? "yes" : "no", s.n() % Gemm.NR == 0 ? "yes" : "no");
        };
        results.publish("exercises/fast-attention").table("What packing costs against what it feeds, per product",
                List.of("Product", "m×n×k", "A, B and C together", "Cut by KC or NC?", "Numbers packed", "Flops per number packed",
                        "Rows a multiple of " + Gemm.MR + "?", "Columns a multiple of " + Gemm.NR + "?"),
                List.of(packing.apply(att), packing.apply(ffn)));

        double m = ffn.m(), n = ffn.n(), k = ffn.k();
        double naive = 2 * m * n * k * 8, packed = 8 * (k * n + m * k * Math.ceil(n / Gemm.NC) + 2 * m * n * Math.ceil(k / Gemm.KC));
        results.publish("exercises/fast-traffic").table("Bytes moved for " + ffn.label().strip() + " (" + ffn.dims() + ")",
                List.of("Loop", "Counted as", "Bytes"),
                List.of(List.of("triple loop, nothing reused", "2·m·n·k doubles: a row of A and a column of op(B) per entry", fmt("%.2e", naive)),
                        List.of("packed kernel", "op(B) once, A once per block of " + Gemm.NC + " columns, C read and written once per block of "
                                + Gemm.KC + " along k", fmt("%.2e", packed)),
                        List.of("ratio", "", fmt("%.0f×", naive / packed))));

        double ridge = peak / gb;
        List<List<Object>> left = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            ProductShape s = rows.get(i).shape();
            left.add(List.of(i + 1, s.label().strip(), fmt("%.1f", s.intensity()), s.intensity() < ridge ? "memory (left of the ridge)" : "arithmetic"));
        }
        results.publish("exercises/fast-ridge").attribute("ridge", fmt("%.1f", ridge))
                .table(fmt("The ridge point of one core: %.0f GFLOP/s ÷ %.1f GB/s = %.1f flops per byte", peak, gb, ridge),
                        List.of("#", "Product", "Flops per byte", "Bound by"), left);
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

    /** "41.2 (38.0–43.1)": a sample's median with its slowest and fastest run, or a dash when nothing was measured. */
    static String range(Sample s) {
        if (s.runs() == 0) {
            return "—";
        }
        String f = s.median() >= 100 ? "%.0f" : "%.1f";
        return fmt(f + " (" + f + "–" + f + ")", s.median(), s.min(), s.max());
    }

    private static String us(Sample s) {
        return fmt("%.0f µs (%.0f–%.0f)", s.median(), s.min(), s.max());
    }

    private static String fmt(String f, Object... a) {
        return String.format(Locale.ROOT, f, a);
    }
}
