package minibert.book;

import minibert.bench.MemoryProbe;
import minibert.config.TrainConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Activation checkpointing, measured: float32 training steps at the short run's batch with and without it,
 * each in a JVM of its own (peak heap, step time), and the largest batch that fits in a fixed heap each way,
 * found by running the step at growing batches until the JVM runs out of memory.
 */
public final class MemoryResults implements ResultProducer {

    /** The fixed heap of the largest-batch search. */
    static final int HEAP_MB = 256;
    /** The granularity of the search. */
    static final int STEP = 8;

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public void produce(Results results) throws Exception {
        Path configFile = ProjectFiles.projectDir().resolve(BookData.SHORT_CONFIG);
        TrainConfig cfg = TrainConfig.load(configFile);
        Path model = cfg.model();
        int b = cfg.batchSize(), t = cfg.sequenceLength(), steps = results.mode() == Mode.FULL ? 11 : 5;
        MemoryProbe.Outcome plain = MemoryProbe.run(model, b, t, false, 2, 2048);
        MemoryProbe.Outcome checkpointed = MemoryProbe.run(model, b, t, true, 2, 2048);
        if (!plain.fits() || !checkpointed.fits()) {
            throw new IllegalStateException("a step at " + b + " × " + t + " did not fit in 2 GB");
        }
        // step times in this JVM, whose JIT the earlier producers warmed: the two take turns on the measured batch
        minibert.config.ModelConfig mc = minibert.config.ModelConfig.load(model);
        List<minibert.train.Learner> learners = List.of(
                new minibert.train.f32.BertLearner(new minibert.model.f32.BertForMaskedLM(mc, 3, minibert.tensor.ProductsF.VECTOR), cfg, false),
                new minibert.train.f32.BertLearner(new minibert.model.f32.BertForMaskedLM(mc, 3, minibert.tensor.ProductsF.VECTOR), cfg, true));
        List<minibert.bench.StepBenchmark.Figures> times = minibert.bench.StepBenchmark.run(learners, BookData.measuredBatch(),
                2, steps, 0, 1e-4);
        double plainSeconds = times.get(0).medianSeconds(), checkpointedSeconds = times.get(1).medianSeconds();
        double saving = 1 - (double) checkpointed.liveHeapBytes() / plain.liveHeapBytes();
        double cost = checkpointedSeconds / plainSeconds - 1;
        results.publish("memory/checkpointing").config(configFile)
                .attribute("batch", b + " × " + t)
                .attribute("plain-mb", fmt("%,d", plain.liveHeapBytes() >> 20))
                .attribute("checkpointed-mb", fmt("%,d", checkpointed.liveHeapBytes() >> 20))
                .attribute("saving-percent", fmt("%.0f", 100 * saving))
                .attribute("cost-sentence", cost > 0.02 ? fmt("the step took %.0f%% longer", 100 * cost)
                        : fmt("the step took no measurably longer in this run (%+.0f%%, within the machine's noise)", 100 * cost))
                .attribute("steps", Integer.toString(steps))
                .table("Float32 training steps at " + b + " × " + t + " with and without activation checkpointing: the heap in a JVM "
                                + "of its own each, the step time as the median of " + steps + " steps taking turns in the build's JVM",
                        List.of("Activation records", "Heap in use after the steps (after a full collection)",
                                "Of which the learner's buffers (parameters, moments, activations)", "Median step"),
                        List.of(List.of("every layer's", fmt("%,d MiB", plain.liveHeapBytes() >> 20),
                                        fmt("%,d MiB", plain.bufferBytes() >> 20), fmt("%.3f s", plainSeconds)),
                                List.of("checkpointed: each layer's input, one layer's record", fmt("%,d MiB", checkpointed.liveHeapBytes() >> 20),
                                        fmt("%,d MiB", checkpointed.bufferBytes() >> 20), fmt("%.3f s", checkpointedSeconds))));

        List<List<Object>> rows = new ArrayList<>();
        Publication largest = results.publish("memory/largest-batch").config(configFile).attribute("heap-mb", Integer.toString(HEAP_MB));
        for (boolean mode : new boolean[] {false, true}) {
            MemoryProbe.Outcome at = mode ? checkpointed : plain;
            int[] found = largest(model, b, t, mode, at);
            rows.add(List.of(mode ? "checkpointed" : "every layer's", found[0] + " × " + t, found[1] + " × " + t, found[2]));
            largest.attribute(mode ? "checkpointed" : "plain", Integer.toString(found[0]));
        }
        largest.table("The largest batch (in steps of " + STEP + " sequences) whose float32 training step runs in a JVM of "
                        + HEAP_MB + " MB of heap", List.of("Activation records", "Largest batch that ran", "Smallest that ran out of memory",
                        "JVMs started"), rows);
    }

    /**
     * {largest batch that fits, smallest that does not, probes run}. The search starts where the heap measured at
     * batch {@code b} predicts the edge: the heap's part that grows with the batch is the buffers' part that does
     * (their size is known exactly), the rest (parameters, gradients, moments, the JVM's own) stays. The guess
     * assumes the whole heap can be filled; from there the search steps by {@link #STEP} until one batch runs and
     * the next does not.
     */
    private static int[] largest(Path model, int b, int t, boolean checkpointed, MemoryProbe.Outcome at) throws Exception {
        // float32: value, gradient and AdamW's two moments, 4 bytes each, per parameter; the rest grows with the batch
        long fixedBuffers = 16L * minibert.config.ModelConfig.load(model).parameterCount();
        double perSequence = (double) (at.bufferBytes() - fixedBuffers) / b;
        double fixed = at.liveHeapBytes() - perSequence * b;
        int guess = Math.max(STEP, (int) ((HEAP_MB * (double) (1 << 20) - fixed) / perSequence) / STEP * STEP);
        int probes = 0;
        boolean fits = MemoryProbe.run(model, guess, t, checkpointed, 1, HEAP_MB).fits();
        probes++;
        int low = fits ? guess : 0, high = fits ? 0 : guess;
        while (low == 0 || high == 0) {
            int next = fits ? low + STEP : high - STEP;
            if (next < STEP) {
                return new int[] {0, STEP, probes};
            }
            fits = MemoryProbe.run(model, next, t, checkpointed, 1, HEAP_MB).fits();
            probes++;
            if (fits) {
                low = next;
            } else {
                high = next;
            }
            if (probes > 12) {
                throw new IllegalStateException("the largest-batch search did not settle within 12 JVMs (at " + next + ")");
            }
        }
        return new int[] {low, high, probes};
    }

    private static String fmt(String f, Object... a) {
        return String.format(Locale.ROOT, f, a);
    }
}
