package minibert.bench;

import minibert.config.ModelConfig;
import minibert.config.TrainConfig;
import minibert.model.Batch;
import minibert.model.BertForMaskedLM;
import minibert.tensor.Products;
import minibert.tensor.ProductsF;
import minibert.train.BertLearner;
import minibert.train.Learner;
import minibert.train.MicroBatch;
import minibert.train.Tally;
import minibert.train.Update;
import minibert.train.UpdateReport;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Times whole training steps (forward, backward, clipping and AdamW) of the real model on one batch, in both
 * precisions, side by side in one JVM: warm-up steps first (the JIT compiles the kernels), then the timed steps
 * of each variant taking turns, so that a busy period of the shared machine slows all of them alike; medians.
 * It also counts the heap allocated per steady-state step, on every thread (the pool's workers included).
 */
public final class StepBenchmark {

    /** One variant's figures; {@code allocatedBytesPerStep} is −1 when not counted. */
    /**
     * One variant's figures; {@code allocatedBytesPerStep} is −1 when not counted. {@code roundSeconds} holds each
     * timed step in the order of the rounds, and {@code beside} what a measurement taken right after each of them
     * returned (empty when there was none), so that the two can be compared round by round.
     */
    public record Figures(String precision, String backend, double medianSeconds, double minSeconds, double maxSeconds,
                          double[] phaseShares, long allocatedBytesPerStep, long bufferBytes, double[] roundSeconds,
                          double[] beside) {
    }

    private StepBenchmark() {
    }

    /** A float32 and a float64 learner on the real config, same seed, the standard backend. */
    public static List<Learner> learners(ModelConfig model, TrainConfig train, long seed) {
        List<Learner> out = new ArrayList<>();
        out.add(new minibert.train.f32.BertLearner(new minibert.model.f32.BertForMaskedLM(model, seed, ProductsF.VECTOR),
                train, false));
        out.add(new BertLearner(new BertForMaskedLM(model, seed, Products.VECTOR), train, false));
        return out;
    }

    /** A learner of the real config in {@code precision} ({@code float32} or {@code float64}) on product backend {@code backend}. */
    public static Learner learner(ModelConfig model, TrainConfig train, long seed, String precision, String backend) {
        return precision.equals("float32")
                ? new minibert.train.f32.BertLearner(new minibert.model.f32.BertForMaskedLM(model, seed, ProductsF.named(backend)),
                        train, false)
                : new BertLearner(new BertForMaskedLM(model, seed, Products.named(backend)), train, false);
    }

    /**
     * As {@link #run(List, Batch, int, int, int, double)}, with the learners from {@code slow} on (a slow backend,
     * EJML) taking part only in the first {@code slowSteps} rounds, after one warm-up step, their allocation not
     * counted; {@code backends} names each learner's backend in its figures. {@code besideFirst}, when not null, is
     * measured right after each timed step of the first learner, in the same round (its figures' {@code beside}).
     */
    public static List<Figures> run(List<Learner> learners, List<String> backends, int slow, Batch batch, int warmUp,
                                    int steps, int slowSteps, int allocationSteps, double learningRate,
                                    java.util.function.DoubleSupplier besideFirst) {
        UpdateReport report = new UpdateReport();
        Tally tally = new Tally();
        for (int k = 0; k < learners.size(); k++) {
            for (int i = 0; i < (k < slow ? warmUp : 1); i++) {
                step(learners.get(k), batch, i, learningRate, tally, report);
            }
            settleAfter(backends.get(k));
        }
        double[][] seconds = new double[learners.size()][];
        double[] beside = new double[besideFirst == null ? 0 : steps];
        long[][] phasesBefore = new long[learners.size()][];
        for (int k = 0; k < learners.size(); k++) {
            seconds[k] = new double[k < slow ? steps : Math.min(steps, slowSteps)];
            phasesBefore[k] = learners.get(k).phaseNanos();
        }
        for (int s = 0; s < steps; s++) {
            for (int j = 0; j < learners.size(); j++) {
                int k = (s + j) % learners.size();                      // the order turns by one each round
                if (s >= seconds[k].length) {
                    continue;
                }
                long t0 = System.nanoTime();
                step(learners.get(k), batch, warmUp + s, learningRate, tally, report);
                seconds[k][s] = (System.nanoTime() - t0) / 1e9;
                settleAfter(backends.get(k));
                if (k == 0 && besideFirst != null) {
                    beside[s] = besideFirst.getAsDouble();
                }
            }
        }
        List<Figures> out = new ArrayList<>();
        for (int k = 0; k < learners.size(); k++) {
            Learner l = learners.get(k);
            long[] after = l.phaseNanos();
            double stepTotal = Arrays.stream(seconds[k]).sum() * 1e9;
            double[] shares = new double[3];
            for (int p = 0; p < 3; p++) {
                shares[p] = (after[p] - phasesBefore[k][p]) / stepTotal;
            }
            long perStep = k < slow ? steadyAllocation(l, batch, warmUp + steps, allocationSteps, learningRate, tally, report)
                    : -1;                                               // not counted
            double[] sorted = seconds[k].clone();
            Arrays.sort(sorted);
            out.add(new Figures(l.precision(), backends.get(k), median(sorted), sorted[0], sorted[sorted.length - 1], shares,
                    perStep, l.bufferEntries() * l.bytesPerEntry(), seconds[k].clone(), k == 0 ? beside : new double[0]));
        }
        return out;
    }

    /**
     * Runs {@code warmUp} untimed steps of every learner, then {@code steps} timed rounds in which each learner
     * takes one step in turn, then {@code allocationSteps} more per learner with the allocation counted.
     */
    public static List<Figures> run(List<Learner> learners, Batch batch, int warmUp, int steps, int allocationSteps,
                                    double learningRate) {
        UpdateReport report = new UpdateReport();
        Tally tally = new Tally();
        for (Learner l : learners) {
            for (int i = 0; i < warmUp; i++) {
                step(l, batch, i, learningRate, tally, report);
            }
        }
        double[][] seconds = new double[learners.size()][steps];
        long[][] phasesBefore = new long[learners.size()][];
        for (int k = 0; k < learners.size(); k++) {
            phasesBefore[k] = learners.get(k).phaseNanos();
        }
        for (int s = 0; s < steps; s++) {
            for (int k = 0; k < learners.size(); k++) {
                long t0 = System.nanoTime();
                step(learners.get(k), batch, warmUp + s, learningRate, tally, report);
                seconds[k][s] = (System.nanoTime() - t0) / 1e9;
            }
        }
        List<Figures> out = new ArrayList<>();
        for (int k = 0; k < learners.size(); k++) {
            Learner l = learners.get(k);
            long[] after = l.phaseNanos();
            double total = 0;
            double[] shares = new double[3];
            for (int p = 0; p < 3; p++) {
                shares[p] = after[p] - phasesBefore[k][p];
                total += shares[p];
            }
            double stepTotal = Arrays.stream(seconds[k]).sum() * 1e9;
            for (int p = 0; p < 3; p++) {
                shares[p] /= stepTotal;                         // the rest is the benchmark's own loop
            }
            long perStep = steadyAllocation(l, batch, warmUp + steps, allocationSteps, learningRate, tally, report);
            double[] sorted = seconds[k].clone();
            Arrays.sort(sorted);
            out.add(new Figures(l.precision(), "", median(sorted), sorted[0], sorted[sorted.length - 1], shares, perStep,
                    l.bufferEntries() * l.bytesPerEntry(), seconds[k].clone(), new double[0]));
        }
        return out;
    }

    /**
     * After a step on OpenBLAS, whose worker threads spin on after each product, waits for them to sleep (untimed), so
     * that the next learner's step does not share its cores with them ({@link minibert.tensor.OpenBlas#settle}).
     */
    private static void settleAfter(String backend) {
        if (backend.equals("openblas") && minibert.tensor.OpenBlas.available() && minibert.tensor.OpenBlas.threads() > 1) {
            minibert.tensor.OpenBlas.settle();
        }
    }

    private static void step(Learner l, Batch batch, long step, double lr, Tally tally, UpdateReport report) {
        l.accumulate(new MicroBatch(batch, step, 1, true), tally);
        l.update(new Update(lr, 1.0), report);
    }

    /** How one step used the pool: its parallel calls, and the shares among them that had to wake a parked worker. */
    public record PoolUse(long calls, long wakeUps) {
    }

    /** The pool's use ({@link minibert.tensor.Pool#calls()}, {@link minibert.tensor.Pool#wakeUps()}) by one more step of {@code l}, numbered {@code step}. */
    public static PoolUse poolUse(Learner l, Batch batch, long step, double learningRate) {
        long calls = minibert.tensor.Pool.calls(), wakeUps = minibert.tensor.Pool.wakeUps();
        step(l, batch, step, learningRate, new Tally(), new UpdateReport());
        return new PoolUse(minibert.tensor.Pool.calls() - calls, minibert.tensor.Pool.wakeUps() - wakeUps);
    }

    /**
     * The heap a steady-state step allocates: {@code count} more steps (numbered from {@code first}), each counted
     * alone, and the fewest bytes any one of them allocated; −1 when {@code count} is 0. A step that runs code the
     * JIT has not finished compiling, or code that a deoptimisation has sent back to the interpreter until it is
     * compiled again, allocates every Vector API vector as an object (a build measured a mean of 151 MB a step
     * over five float64 steps once, against 38 KB in the builds before and after it); such a step is not the steady
     * state, and the fewest bytes is what the steps allocate once the compiled code runs.
     */
    static long steadyAllocation(Learner l, Batch batch, int first, int count, double learningRate, Tally tally,
                                 UpdateReport report) {
        long fewest = -1;
        for (int i = 0; i < count; i++) {
            long before = allocatedBytes();
            step(l, batch, first + i, learningRate, tally, report);
            long bytes = allocatedBytes() - before;
            fewest = fewest < 0 ? bytes : Math.min(fewest, bytes);
        }
        return fewest;
    }

    /** Bytes allocated on the heap so far by every thread of this JVM. */
    public static long allocatedBytes() {
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        return bean.getTotalThreadAllocatedBytes();
    }

    /** Resets the peak of every heap pool, so that {@link #peakHeapBytes()} measures from now. */
    public static void resetPeakHeap() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
    }

    /** The sum of the heap pools' peak use since the last reset. */
    public static long peakHeapBytes() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak;
    }

    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /**
     * The memory probe, run in a JVM of its own with a small heap ({@code -Xmx512m}): ten float32 training steps
     * at B × T on seeded random ids, then one line: {@code steps=10 peak_heap_bytes=… max_heap_bytes=…}. A heap
     * too small ends the JVM with OutOfMemoryError instead, which the caller reports.
     *
     * <pre>java -Xmx512m --add-modules=jdk.incubator.vector -cp … minibert.bench.StepBenchmark MODEL_CONFIG B T</pre>
     */
    public static void main(String[] args) {
        ModelConfig model = ModelConfig.load(java.nio.file.Path.of(args[0]));
        int b = Integer.parseInt(args[1]), t = Integer.parseInt(args[2]);
        TrainConfig train = new TrainConfig(java.nio.file.Path.of(args[0]), "imdb", 1, b, t, 10, 1e-4, 1, 0.01, 0.9,
                0.999, 1e-6, 1, 1.0, 0.15, 10, 1, 10, 1, 1, "float32", "vector", 0);
        Learner learner = new minibert.train.f32.BertLearner(new minibert.model.f32.BertForMaskedLM(model, 1,
                ProductsF.VECTOR), train, false);
        Batch batch = randomBatch(model, b, t, new java.util.Random(1));
        System.gc();
        resetPeakHeap();
        for (int i = 0; i < 10; i++) {
            step(learner, batch, i, 1e-4, new Tally(), new UpdateReport());
        }
        System.out.printf(Locale.ROOT, "steps=10 peak_heap_bytes=%d max_heap_bytes=%d%n", peakHeapBytes(),
                Runtime.getRuntime().maxMemory());
    }

    /** Seeded ids with about 15% of the real positions labelled (the memory probe has no corpus). */
    static Batch randomBatch(ModelConfig c, int b, int t, java.util.Random random) {
        int n = b * t;
        int[] ids = new int[n], types = new int[n], mask = new int[n], labels = new int[n];
        Arrays.fill(labels, minibert.nn.MlmHead.IGNORE);
        for (int i = 0; i < n; i++) {
            mask[i] = 1;
            ids[i] = 5 + random.nextInt(c.vocabSize() - 5);
            if (random.nextDouble() < 0.15) {
                labels[i] = ids[i];
            }
        }
        return new Batch(ids, types, mask, labels, b, t);
    }
}
