package minibert.book;

import minibert.config.ConfigSource;
import minibert.config.ModelConfig;
import minibert.model.Batch;
import minibert.model.BertForMaskedLM;
import minibert.nn.MlmHead;
import minibert.nn.Param;
import minibert.tensor.Products;
import org.ejml.data.DMatrixRMaj;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * One real forward and backward pass of the book's model (configs/model/mini-bert.yaml) on a batch of
 * 32 × 64 tokens: the shape of every intermediate tensor, recorded from that pass, and the time and heap
 * a step takes with the current product backend.
 */
public final class ModelResults implements ResultProducer {

    static final long SEED = 42;
    static final int BATCH = 32;

    @Override
    public String name() {
        return "model";
    }

    @Override
    public void produce(Results results) throws java.io.IOException {
        ConfigSource source = ConfigSource.load(ProjectFiles.projectDir().resolve("configs/model/mini-bert.yaml"));
        ModelConfig c = ModelConfig.from(source);
        int t = c.maxPositions();
        Publication step = results.publish("model/step").seed(SEED).config(source.text());
        BertForMaskedLM model = new BertForMaskedLM(c, SEED, Products.VECTOR);
        BertForMaskedLM.Activations acts = model.activations(BATCH, t);
        Batch batch = randomBatch(c, BATCH, t, new Random(SEED));

        System.gc();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
        // JIT warm-up steps first (not timed), then the timed ones; the same for both backends
        int warmUp = 2, steps = results.mode() == Mode.FULL ? 9 : 5, ejmlSteps = results.mode() == Mode.FULL ? 5 : 3;
        double[] seconds = new double[steps];
        double loss = timeSteps(model, acts, batch, warmUp, seconds);
        // The same step with the reference products, side by side: the same seed gives the same weights.
        BertForMaskedLM reference = new BertForMaskedLM(c, SEED, Products.REFERENCE);
        double[] ejmlSeconds = new double[ejmlSteps];
        double ejmlLoss = timeSteps(reference, reference.activations(BATCH, t), batch, 1, ejmlSeconds);
        double ejmlMedian = median(ejmlSeconds);
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        double median = median(seconds);
        // Counted matrix-product work of one step: forward, and twice that backward (dx and dW).
        long n = (long) BATCH * t, h = c.hiddenSize(), i = c.intermediateSize(), m = acts.head().masked();
        double forwardFlops = c.numLayers() * (4 * 2.0 * n * h * h + 2 * 2.0 * n * h * i
                + (double) BATCH * c.numHeads() * 4.0 * t * t * c.headSize())
                + 2.0 * m * h * h + 2.0 * m * h * c.vocabSize();
        double stepFlops = 3 * forwardFlops;
        double achieved = stepFlops / median / 1e9;
        double gemmRate = gemmRate(n, h, i);
        long params = 0;
        for (Param p : model.parameters()) {
            params += p.value().getNumElements();
        }
        step.attribute("seconds", fmt("%.2f", median))
                .attribute("heap-mb", fmt("%,d", peak >> 20))
                .attribute("loss", fmt("%.4f", loss))
                .attribute("steps", Integer.toString(steps))
                .attribute("ejml-steps", Integer.toString(ejmlSteps))
                .attribute("warm-up", Integer.toString(warmUp))
                .attribute("backend", model.products().backend().name())
                .attribute("ejml-seconds", fmt("%.2f", ejmlMedian))
                .attribute("speedup", fmt("%.1f", ejmlMedian / median))
                .attribute("gflop", fmt("%.1f", stepFlops / 1e9))
                .attribute("gflops", fmt("%.1f", achieved))
                .attribute("gemm-gflops", fmt("%.1f", gemmRate))
                .attribute("share-percent", fmt("%.0f", 100 * achieved / gemmRate))
                .table("A forward and backward step at the real configuration (batch " + BATCH + " × " + t + ")",
                        List.of("Quantity", "Value"), List.of(
                                List.of("parameters (counted from the model's tensors)", fmt("%,d", params)),
                                List.of("masked positions M in the batch", acts.head().masked()),
                                List.of("loss at initialisation", fmt("%.4f", loss)),
                                List.of("ln V, the loss of a uniform guess", fmt("%.4f", Math.log(c.vocabSize()))),
                                List.of("step time, median of " + steps + ", " + model.products().backend().name(), fmt("%.2f s", median)),
                                List.of("step time, median of " + ejmlSteps + ", " + Products.EJML.name(), fmt("%.2f s", ejmlMedian)),
                                List.of("matrix-product work per step (counted: forward, and twice that backward)", fmt("%.1f GFLOP", stepFlops / 1e9)),
                                List.of("the step's arithmetic rate (work ÷ time)", fmt("%.1f GFLOP/s", achieved)),
                                List.of("the kernel's rate on the FFN product alone, same run", fmt("%.1f GFLOP/s", gemmRate)),
                                List.of("step rate as a share of the kernel's rate", fmt("%.0f%%", 100 * achieved / gemmRate)),
                                List.of("loss with either backend", fmt("%.12f / %.12f", loss, ejmlLoss)),
                                List.of("peak heap in use", fmt("%,d MiB", peak >> 20))));
        if (params != c.parameterCount()) {
            throw new IllegalStateException("the model has " + params + " parameters, the config formula says " + c.parameterCount());
        }

        List<List<Object>> shapes = new ArrayList<>();
        shapes.add(List.of("input ids, token types, attention mask", "[B, T]", "[" + BATCH + ", " + t + "]"));
        shapes.add(List.of("embeddings output", "[B·T, H]", shape(acts.hidden(0))));
        shapes.add(List.of("Q, K, V (layer 0)", "[B·T, H] = [B, A, T, d]", shape(acts.attention(0).query())
                + " = [" + BATCH + ", " + c.numHeads() + ", " + t + ", " + c.headSize() + "]"));
        shapes.add(List.of("attention weights, per sequence and head", "[T, T]", shape(acts.attention(0).probabilities(0, 0))));
        shapes.add(List.of("feed-forward activation (layer 0)", "[B·T, I]", shape(acts.layer(0).feedForward().activation())));
        for (int l = 1; l <= c.numLayers(); l++) {
            shapes.add(List.of("output of layer " + (l - 1), "[B·T, H]", shape(acts.hidden(l))));
        }
        DMatrixRMaj probs = acts.head().probabilities();
        shapes.add(List.of("MLM logits at the masked rows", "[M, V]", shape(probs)));
        results.publish("model/shapes").seed(SEED).config(source.text())
                .table("Shapes recorded from one forward pass at the real configuration", List.of("Tensor", "Shape", "In this pass"), shapes);
        checkpoint(results, model, source.text());
    }

    /** Saves the model as a Hugging Face checkpoint, loads it back, and publishes the round trip. */
    private static void checkpoint(Results results, BertForMaskedLM model, String configText) throws java.io.IOException {
        java.nio.file.Path project = ProjectFiles.projectDir();
        java.nio.file.Path dir = project.resolve("target/checkpoint-init");
        java.nio.file.Path vocab = project.resolve("target/vocab");
        Publication p = results.publish("model/checkpoint").seed(SEED).config(configText);
        long t0 = System.nanoTime();
        minibert.model.checkpoint.Checkpoint.save(dir, model, minibert.model.checkpoint.Safetensors.DType.F32,
                java.nio.file.Files.isRegularFile(vocab.resolve("vocab.txt")) ? vocab : null);
        long t1 = System.nanoTime();
        BertForMaskedLM back = minibert.model.checkpoint.Checkpoint.load(dir);
        long t2 = System.nanoTime();
        boolean exact = true;
        for (int i = 0; i < model.parameters().size(); i++) {
            double[] a = model.parameters().get(i).value().data, b = back.parameters().get(i).value().data;
            for (int k = 0; k < a.length; k++) {
                exact &= (double) (float) a[k] == b[k];
            }
        }
        java.nio.file.Path st = dir.resolve("model.safetensors");
        byte[] head = new byte[96];
        try (var in = java.nio.file.Files.newInputStream(st)) {
            int n = in.readNBytes(head, 0, head.length);
            head = java.util.Arrays.copyOf(head, n);
        }
        StringBuilder dump = new StringBuilder();
        for (int i = 0; i < head.length; i += 16) {
            dump.append(String.format(Locale.ROOT, "%08x  ", i));
            StringBuilder ascii = new StringBuilder();
            for (int j = i; j < Math.min(i + 16, head.length); j++) {
                dump.append(String.format(Locale.ROOT, "%02x ", head[j] & 0xff));
                ascii.append(head[j] >= 32 && head[j] < 127 ? (char) head[j] : '.');
            }
            dump.append(' ').append(ascii).append('\n');
        }
        results.publish("model/checkpoint-bytes").seed(SEED).config(configText)
                .listing("The first bytes of model.safetensors: the header length (little-endian), then the JSON header", dump.toString());
        p.attribute("mb", fmt("%.1f", java.nio.file.Files.size(st) / 1e6))
                .attribute("save-seconds", fmt("%.2f", (t1 - t0) / 1e9))
                .attribute("load-seconds", fmt("%.2f", (t2 - t1) / 1e9))
                .check("Save as F32 safetensors and load back", exact,
                        "every value loaded equals the saved value rounded to float; " + fmt("%.1f MB", java.nio.file.Files.size(st) / 1e6)
                                + ", saved in " + fmt("%.2f s", (t1 - t0) / 1e9) + ", loaded in " + fmt("%.2f s", (t2 - t1) / 1e9));
    }

    /** Runs {@code warmUp} untimed steps, then one timed step per entry of {@code seconds}; returns the last loss. */
    private static double timeSteps(BertForMaskedLM model, BertForMaskedLM.Activations acts, Batch batch, int warmUp,
                                    double[] seconds) {
        double loss = 0;
        for (int s = -warmUp; s < seconds.length; s++) {
            long t0 = System.nanoTime();
            model.zeroGrad();
            loss = model.forward(batch, acts, minibert.nn.Pass.INFERENCE);
            model.backward(batch, acts);
            if (s >= 0) {
                seconds[s] = (System.nanoTime() - t0) / 1e9;
            }
        }
        return loss;
    }

    /** The median; the mean of the middle two for an even count. */
    static double median(double[] values) {
        double[] v = values.clone();
        java.util.Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** GFLOP/s of the default backend on the FFN product [B·T, H]·[I, H]ᵀ, median of five after warm-up. */
    private static double gemmRate(long n, long h, long i) {
        DMatrixRMaj x = new DMatrixRMaj((int) n, (int) h), w = new DMatrixRMaj((int) i, (int) h), y = new DMatrixRMaj((int) n, (int) i);
        Random r = new Random(1);
        for (int k = 0; k < x.getNumElements(); k++) {
            x.data[k] = r.nextGaussian();
        }
        for (int k = 0; k < w.getNumElements(); k++) {
            w.data[k] = r.nextGaussian();
        }
        double[] g = new double[5];
        for (int rep = -3; rep < 5; rep++) {
            long t0 = System.nanoTime();
            Products.VECTOR.multTransB(x, w, y);
            if (rep >= 0) {
                g[rep] = 2.0 * n * h * i / (System.nanoTime() - t0);
            }
        }
        java.util.Arrays.sort(g);
        return g[2];
    }

    static Batch randomBatch(ModelConfig c, int b, int t, Random random) {
        int n = b * t;
        int[] ids = new int[n], types = new int[n], mask = new int[n], labels = new int[n];
        for (int s = 0; s < b; s++) {
            int real = t - random.nextInt(t / 4);          // some sequences end in padding
            for (int i = 0; i < t; i++) {
                int k = s * t + i;
                if (i < real) {
                    mask[k] = 1;
                    ids[k] = 5 + random.nextInt(c.vocabSize() - 5);
                    types[k] = i < real / 2 ? 0 : 1;
                    labels[k] = random.nextDouble() < 0.15 ? ids[k] : MlmHead.IGNORE;
                } else {
                    labels[k] = MlmHead.IGNORE;
                }
            }
        }
        return new Batch(ids, types, mask, labels, b, t);
    }

    private static String shape(DMatrixRMaj m) {
        return "[" + m.numRows + ", " + m.numCols + "]";
    }

    private static String fmt(String f, Object... a) {
        return String.format(Locale.ROOT, f, a);
    }
}
