package minibert.bench;

import minibert.config.ModelConfig;
import minibert.config.TrainConfig;
import minibert.model.Batch;
import minibert.tensor.ProductsF;
import minibert.train.Learner;
import minibert.train.Tally;
import minibert.train.UpdateReport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Float32 training steps in a JVM of their own, so that its heap holds nothing else: with or without
 * activation checkpointing, at a given batch, under a given maximum heap. It prints one line,
 * {@code steps=… peak_heap_bytes=… live_heap_bytes=… median_step_seconds=… buffer_bytes=…} (live: after a full
 * collection, at the end), or dies of OutOfMemoryError when
 * the batch does not fit, which is what the caller looks for.
 *
 * <pre>java -Xmx256m --add-modules=jdk.incubator.vector -cp … minibert.bench.MemoryProbe MODEL_CONFIG B T plain|checkpointed STEPS</pre>
 */
public final class MemoryProbe {

    /** One probe's outcome: {@code fits} false when the JVM ran out of heap. */
    public record Outcome(boolean fits, long peakHeapBytes, long liveHeapBytes, double medianStepSeconds, long bufferBytes,
                          String output) {
    }

    private MemoryProbe() {
    }

    public static void main(String[] args) {
        ModelConfig model = ModelConfig.load(Path.of(args[0]));
        int b = Integer.parseInt(args[1]), t = Integer.parseInt(args[2]);
        boolean checkpointed = args[3].equals("checkpointed");
        int steps = Integer.parseInt(args[4]);
        TrainConfig train = new TrainConfig(Path.of(args[0]), "imdb", 1, b, t, steps, 1e-4, 1, 0.01, 0.9, 0.999, 1e-6,
                1, 1.0, 0.15, steps, 1, steps, 1, 1, "float32", "vector", 0);
        Learner learner = new minibert.train.f32.BertLearner(new minibert.model.f32.BertForMaskedLM(model, 1,
                ProductsF.VECTOR), train, checkpointed);
        Batch batch = StepBenchmark.randomBatch(model, b, t, new java.util.Random(1));
        System.gc();
        StepBenchmark.resetPeakHeap();
        double[] seconds = new double[steps];
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            learner.accumulate(new minibert.train.MicroBatch(batch, i, 1, true), new Tally());
            learner.update(new minibert.train.Update(1e-4, 1.0), new UpdateReport());
            seconds[i] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(seconds);
        long peak = StepBenchmark.peakHeapBytes();
        System.gc();                                     // what stays: the buffers and the JVM's own
        long live = java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        System.out.printf(Locale.ROOT, "steps=%d peak_heap_bytes=%d live_heap_bytes=%d median_step_seconds=%.4f buffer_bytes=%d%n",
                steps, peak, live, seconds[steps / 2], learner.bufferEntries() * learner.bytesPerEntry());
    }

    /** Runs the probe in a child JVM with {@code -Xmx<heapMb>m}. */
    public static Outcome run(Path modelConfig, int batch, int length, boolean checkpointed, int steps, int heapMb)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heapMb + "m", "--add-modules=jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                MemoryProbe.class.getName(), modelConfig.toString(), Integer.toString(batch), Integer.toString(length),
                checkpointed ? "checkpointed" : "plain", Integer.toString(steps)));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException("the memory probe at batch " + batch + " did not finish in 10 minutes");
        }
        String line = out.lines().filter(l -> l.startsWith("steps=")).findFirst().orElse(null);
        if (process.exitValue() != 0 || line == null) {
            if (!out.contains("OutOfMemoryError")) {
                throw new IllegalStateException("the memory probe at batch " + batch + " failed (exit " + process.exitValue()
                        + ") without running out of memory: " + out.strip());
            }
            return new Outcome(false, -1, -1, Double.NaN, -1, out);
        }
        return new Outcome(true, Long.parseLong(field(line, "peak_heap_bytes")), Long.parseLong(field(line, "live_heap_bytes")),
                Double.parseDouble(field(line, "median_step_seconds")), Long.parseLong(field(line, "buffer_bytes")), out);
    }

    private static String field(String line, String name) {
        return line.replaceAll(".*" + name + "=([0-9.]+).*", "$1");
    }
}
