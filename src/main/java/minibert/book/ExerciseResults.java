package minibert.book;

import minibert.bench.ModelProducts;
import minibert.config.ModelConfig;
import minibert.config.TrainConfig;
import minibert.model.GradientCheck;
import minibert.tensor.Erf;
import minibert.tensor.Kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;

/**
 * The answers to the exercises of the model chapters (notation, embeddings, attention, feed-forward, MLM head),
 * computed by the build: counts from the configuration, numerical checks of the derivations the exercises ask
 * for, and the rounding experiments they describe. The chapters show them collapsed under each exercise.
 */
public final class ExerciseResults implements ResultProducer {

    static final long SEED = 2026;

    /** BERT-Base as the paper gives it (Devlin et al. 2019, table of model sizes): L=12, H=768, A=12, I=3072, T=512, V=30522. */
    static final ModelConfig BERT_BASE = new ModelConfig(30522, 768, 12, 12, 3072, 512, 2, 1e-12, "gelu", 0.1, 0.1, 0.02);

    @Override
    public String name() {
        return "exercises";
    }

    @Override
    public void produce(Results results) {
        TrainConfig train = TrainConfig.load(ProjectFiles.projectDir().resolve(ModelProducts.TRAIN_CONFIG));
        ModelConfig model = train.modelConfig();
        ModelProducts products = ModelProducts.of(model, train);
        bertBase(results);
        attentionScores(results, model, train);
        unbiasedLayerNorm(results);
        stencils(results);
        softmaxRowSums(results);
        attentionCounts(results, model);
        geluTanh(results);
        erfSeries(results);
        mlmHead(results, model, products);
    }

    /** Notation 1: parameterCount for BERT-Base, term by term. */
    private static void bertBase(Results results) {
        ModelConfig c = BERT_BASE;
        long h = c.hiddenSize(), i = c.intermediateSize(), v = c.vocabSize();
        long embeddings = (v + c.maxPositions() + c.typeVocabSize()) * h + 2 * h;
        long layer = 4 * (h * h + h) + 2 * h + (h * i + i + i * h + h) + 2 * h;
        long ffn = h * i + i + i * h + h;
        long head = h * h + h + 2 * h + v;
        long total = c.parameterCount(), pooler = h * h + h;
        if (embeddings + c.numLayers() * layer + head != total) {
            throw new IllegalStateException("the terms do not add up to parameterCount: " + total);
        }
        results.publish("exercises/notation-bert-base").table("ModelConfig.parameterCount for BERT-Base, term by term",
                List.of("Term", "Parameters", "Share"),
                List.of(List.of("embeddings: (V + T + 2)·H + 2H", fmt("%,d", embeddings), pct(embeddings, total)),
                        List.of(c.numLayers() + " encoder layers, " + fmt("%,d", layer) + " each", fmt("%,d", c.numLayers() * layer),
                                pct(c.numLayers() * layer, total)),
                        List.of("of which the feed-forward networks", fmt("%,d", c.numLayers() * ffn), pct(c.numLayers() * ffn, total)),
                        List.of("MLM head: dense, LayerNorm, decoder bias", fmt("%,d", head), pct(head, total)),
                        List.of("total (parameterCount)", fmt("%,d", total), "100%"),
                        List.of("the same without the MLM head, with the pooler (H² + H)", fmt("%,d", total - head + pooler), "")));
    }

    /** Notation 2: the attention scores of one layer against the hidden states, for the training batch. */
    private static void attentionScores(Results results, ModelConfig m, TrainConfig t) {
        long b = t.batchSize(), a = m.numHeads(), len = t.sequenceLength(), h = m.hiddenSize();
        long scores = b * a * len * len, hidden = b * len * h;
        results.publish("exercises/notation-scores").table("One layer's attention scores against its hidden states, batch of "
                        + b + " × " + len,
                List.of("Tensor", "Shape", "Doubles", "MiB"),
                List.of(List.of("attention scores", "[B, A, T, T] = [" + b + ", " + a + ", " + len + ", " + len + "]",
                                fmt("%,d", scores), fmt("%.1f", scores * 8.0 / (1 << 20))),
                        List.of("hidden states", "[B·T, H] = [" + b * len + ", " + h + "]", fmt("%,d", hidden),
                                fmt("%.1f", hidden * 8.0 / (1 << 20))),
                        List.of("ratio, A·T / H", "", fmt("%.2f", (double) scores / hidden), "")));
    }

    /** Embeddings 1: the backward pass of LayerNorm with the unbiased variance, against finite differences. */
    private static void unbiasedLayerNorm(Results results) {
        int n = 13;
        Random rnd = new Random(SEED);
        double[] x = new double[n], g = new double[n];
        for (int k = 0; k < n; k++) {
            x[k] = rnd.nextGaussian() * 2 + 0.5;
            g[k] = rnd.nextGaussian();
        }
        double worstUnbiased = 0, worstBiased = 0;
        double[] xhat = normalise(x, n - 1);
        double s = 1 / Math.sqrt(variance(x, n - 1));
        double meanG = 0, meanGx = 0;
        for (int k = 0; k < n; k++) {
            meanG += g[k] / n;
            meanGx += g[k] * xhat[k];
        }
        for (int j = 0; j < n; j++) {
            double unbiased = s * (g[j] - meanG - xhat[j] * meanGx / (n - 1));
            double biased = s * (g[j] - meanG - xhat[j] * meanGx / n);
            double h = 1e-5;
            double[] up = x.clone(), down = x.clone();
            up[j] += h;
            down[j] -= h;
            double numeric = (dot(g, normalise(up, n - 1)) - dot(g, normalise(down, n - 1))) / (2 * h);
            worstUnbiased = Math.max(worstUnbiased, Math.abs(unbiased - numeric) / Math.abs(numeric));
            worstBiased = Math.max(worstBiased, Math.abs(biased - numeric) / Math.abs(numeric));
        }
        results.publish("exercises/embeddings-unbiased").seed(SEED).table(
                "LayerNorm with the unbiased variance, one row of width " + n + ": the input gradient against central differences",
                List.of("Formula", "Largest relative error"),
                List.of(List.of("third term with 1/(H − 1): s(d − mean(d) − x̂·Σ d x̂ / (H − 1))", fmt("%.1e", worstUnbiased)),
                        List.of("third term with 1/H, as for the biased variance", fmt("%.1e", worstBiased))));
    }

    private static double variance(double[] x, int divisor) {
        double mu = 0, v = 0;
        for (double xi : x) {
            mu += xi / x.length;
        }
        for (double xi : x) {
            v += (xi - mu) * (xi - mu);
        }
        return v / divisor;
    }

    private static double[] normalise(double[] x, int divisor) {
        double mu = 0;
        for (double xi : x) {
            mu += xi / x.length;
        }
        double s = 1 / Math.sqrt(variance(x, divisor));
        double[] out = new double[x.length];
        for (int k = 0; k < x.length; k++) {
            out[k] = (x[k] - mu) * s;
        }
        return out;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int k = 0; k < a.length; k++) {
            s += a[k] * b[k];
        }
        return s;
    }

    /** Embeddings 3: the error of the two-point and the four-point central difference against h. */
    private static void stencils(Results results) {
        double x = 0.5, exact = 1 / (1 + Math.exp(-x));                  // softplus' = the logistic function
        DoubleUnaryOperator f = t -> Math.log1p(Math.exp(t));
        List<List<Object>> rows = new ArrayList<>();
        double best2 = Double.MAX_VALUE, best4 = Double.MAX_VALUE, h2 = 0, h4 = 0;
        for (int e = 1; e <= 10; e++) {
            double h = Math.pow(10, -e);
            double two = (f.applyAsDouble(x + h) - f.applyAsDouble(x - h)) / (2 * h);
            double four = (-f.applyAsDouble(x + 2 * h) + 8 * f.applyAsDouble(x + h) - 8 * f.applyAsDouble(x - h)
                    + f.applyAsDouble(x - 2 * h)) / (12 * h);
            double e2 = Math.abs(two - exact), e4 = Math.abs(four - exact);
            if (e2 < best2) {
                best2 = e2;
                h2 = h;
            }
            if (e4 < best4) {
                best4 = e4;
                h4 = h;
            }
            rows.add(List.of(fmt("1e-%d", e), fmt("%.1e", e2), fmt("%.1e", e4)));
        }
        double eps = Math.ulp(1.0);
        results.publish("exercises/embeddings-stencils")
                .attribute("best-two", fmt("%.0e", h2))
                .attribute("best-four", fmt("%.0e", h4))
                .attribute("eps-third", fmt("%.0e", Math.cbrt(eps)))
                .attribute("eps-fifth", fmt("%.0e", Math.pow(eps, 0.2)))
                .attribute("step", fmt("%.0e", GradientCheck.STEP))
                .table("The derivative of ln(1 + eˣ) at x = 0.5 by central differences: error against step h (best: two-point at h = "
                                + fmt("%.0e", h2) + ", four-point at h = " + fmt("%.0e", h4) + ")",
                        List.of("h", "two-point error", "four-point error"), rows);
    }

    /** Attention 1: the row sums of the softmax's backward pass. */
    private static void softmaxRowSums(Results results) {
        int rows = 5, width = 7;
        Random rnd = new Random(SEED);
        double[] s = new double[rows * width], dp = new double[rows * width], ds = new double[rows * width];
        for (int k = 0; k < s.length; k++) {
            s[k] = 3 * rnd.nextGaussian();
            dp[k] = rnd.nextGaussian();
        }
        Kernels.softmaxRowsScalar(s, rows, width);
        Kernels.softmaxRowsBackwardScalar(s, dp, ds, rows, width);
        double worstSum = 0, largest = 0;
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int c = 0; c < width; c++) {
                sum += ds[r * width + c];
                largest = Math.max(largest, Math.abs(ds[r * width + c]));
            }
            worstSum = Math.max(worstSum, Math.abs(sum));
        }
        results.publish("exercises/attention-row-sums").seed(SEED).table("The softmax's backward pass on " + rows + " random rows of "
                        + width + " scores",
                List.of("Largest |∂L/∂s_ij|", "Largest |Σ_j ∂L/∂s_ij| over the rows"),
                List.of(List.of(fmt("%.2e", largest), fmt("%.1e", worstSum))));
    }

    /** Attention 3: multiply-adds of one head's forward pass, and where the T² products take over. */
    private static void attentionCounts(Results results, ModelConfig m) {
        long h = m.hiddenSize(), d = m.headSize();
        List<List<Object>> rows = new ArrayList<>();
        for (long t : new long[] {m.maxPositions(), 2 * h, 8 * h}) {
            long projections = 3 * t * h * d + t * d * h, scores = t * t * d, context = t * t * d;
            rows.add(List.of(t, fmt("%,d", projections), fmt("%,d", scores), fmt("%,d", context),
                    fmt("%.2f", (double) (scores + context) / projections)));
        }
        results.publish("exercises/attention-counts")
                .attribute("crossover", Long.toString(2 * h))
                .table("Multiply-adds of one head's forward pass (d = " + d + ", H = " + h + ")",
                        List.of("T", "projections: Q, K, V and the head's share of the output, 4·T·H·d", "Q·Kᵀ: T²·d", "P·V: T²·d",
                                "T² products ÷ projections = T / (2H)"), rows);
    }

    /** Feed-forward 1: the derivative of the tanh form, from the formula, from the code, and by differences. */
    private static void geluTanh(Results results) {
        double c = Math.sqrt(2 / Math.PI);
        List<List<Object>> rows = new ArrayList<>();
        double worst = 0;
        for (double x : new double[] {-3, -1, -0.25, 0.5, 1.5, 3}) {
            double u = c * (x + 0.044715 * x * x * x), t = Math.tanh(u);
            double formula = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x);
            double h = 1e-4;
            double numeric = (-Kernels.geluScalar(x + 2 * h, true) + 8 * Kernels.geluScalar(x + h, true)
                    - 8 * Kernels.geluScalar(x - h, true) + Kernels.geluScalar(x - 2 * h, true)) / (12 * h);
            double code = Kernels.geluDerivativeScalar(x, true);
            worst = Math.max(worst, Math.abs(formula - numeric));
            rows.add(List.of(fmt("%.2f", x), fmt("%.12f", formula), fmt("%.12f", code), fmt("%.12f", numeric)));
        }
        results.publish("exercises/feed-forward-tanh").attribute("worst", fmt("%.0e", worst))
                .table("The derivative of the tanh form of GELU",
                        List.of("x", "½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²)", "geluDerivativeScalar", "finite difference"),
                        rows);
    }

    /** Feed-forward 2: the alternating Taylor series of erf at 2.5, summed in double. */
    private static void erfSeries(Results results) {
        double x = 2.5, term = x, sum = x, largest = x;
        int at = 0;
        for (int n = 1; n < 200; n++) {
            // x^(2n+1) / (n! (2n+1)), from the previous term's x^(2n−1) / ((n−1)! (2n−1))
            double magnitude = Math.abs(term) * x * x / n * (2 * n - 1) / (2 * n + 1);
            term = (n % 2 == 0 ? 1 : -1) * magnitude;
            sum += term;
            if (magnitude > largest) {
                largest = magnitude;
                at = n;
            }
            if (magnitude < 1e-20) {
                break;
            }
        }
        double series = 2 / Math.sqrt(Math.PI) * sum, reference = Erf.erf(x);
        results.publish("exercises/feed-forward-erf")
                .attribute("largest", fmt("%.3g", largest * 2 / Math.sqrt(Math.PI)))
                .attribute("digits", fmt("%.1f", Math.log10(largest * 2 / Math.sqrt(Math.PI) / reference)))
                .table("erf(2.5) by the alternating series (2/√π) Σ (−1)ⁿ x²ⁿ⁺¹ / (n!(2n+1)), summed in double",
                        List.of("Largest term (with 2/√π)", "At n", "Series", "Erf.erf", "Error", "Digits lost, log₁₀(largest / erf)"),
                        List.of(List.of(fmt("%.4g", largest * 2 / Math.sqrt(Math.PI)), at, fmt("%.17f", series), fmt("%.17f", reference),
                                fmt("%.1e", Math.abs(series - reference)),
                                fmt("%.1f", Math.log10(largest * 2 / Math.sqrt(Math.PI) / reference)))));
    }

    /** MLM head 1 and 2: the masked rows of a batch, and the parameters an untied decoder adds. */
    private static void mlmHead(Results results, ModelConfig m, ModelProducts p) {
        long added = (long) m.vocabSize() * m.hiddenSize();
        results.publish("exercises/mlm-head")
                .attribute("masked", Integer.toString(p.masked()))
                .attribute("rows", Integer.toString(p.rows()))
                .attribute("untied", fmt("%,d", added))
                .attribute("untied-percent", fmt("%.1f", 100.0 * added / m.parameterCount()))
                .table("The MLM head at the training configuration",
                        List.of("Quantity", "Value"),
                        List.of(List.of("masked rows M of a batch of B·T = " + p.rows() + " tokens", p.masked()),
                                List.of("each masked row's share of the loss, 1/M", fmt("%.2e", 1.0 / p.masked())),
                                List.of("parameters an untied V × H decoder adds", fmt("%,d", added)),
                                List.of("as a share of the model's " + fmt("%,d", m.parameterCount()), fmt("%.1f%%", 100.0 * added / m.parameterCount()))));
    }

    private static String pct(long part, long whole) {
        return fmt("%.1f%%", 100.0 * part / whole);
    }

    private static String fmt(String f, Object... a) {
        return String.format(Locale.ROOT, f, a);
    }
}
