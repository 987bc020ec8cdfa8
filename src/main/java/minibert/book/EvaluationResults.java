package minibert.book;

import minibert.config.EvalConfig;
import minibert.data.ConlluReader;
import minibert.data.DataStore;
import minibert.eval.AttentionMaps;
import minibert.eval.Bf16;
import minibert.eval.Evaluation;
import minibert.eval.EvaluationReport;
import minibert.eval.PosProbing;
import minibert.eval.Probe;
import minibert.eval.Sst2FineTuning;
import minibert.model.checkpoint.Checkpoint;
import minibert.nn.Param;
import minibert.tensor.Products;
import minibert.text.Vocabulary;
import minibert.text.WordPiece;
import org.ejml.data.DMatrixRMaj;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The evaluation chapters' results: the evaluation of this build's short training run (its newest checkpoint
 * in {@code target/short-run}), quick subsets in a routine build and the full evaluation in a full one; the
 * probe per layer with its control task, SST-2's confusion matrix, BF16 against float64, attention heat
 * maps of a real sentence, and the probe's gradient check.
 */
public final class EvaluationResults implements ResultProducer {

    static final String RUN = "target/short-run";

    @Override
    public String name() {
        return "evaluation";
    }

    @Override
    public void produce(Results results) throws Exception {
        Path project = ProjectFiles.projectDir();
        Path run = project.resolve(RUN);
        if (!Files.isDirectory(run)) {
            throw new IllegalStateException("the evaluation evaluates the build's short training run, and there is none: "
                    + run + " does not exist (the training producer writes it; run it before this one)");
        }
        Path checkpoint = Evaluation.resolveCheckpoint(run);
        Path configFile = project.resolve("configs/eval/default.yaml");
        EvalConfig c = EvalConfig.load(configFile);
        DataStore store = DataStore.fromEnvironment();
        boolean quick = results.mode() == Mode.QUICK;
        List<String> log = new ArrayList<>();
        EvaluationReport r = Evaluation.run(new Evaluation.Options(checkpoint, c, project.resolve("target/cache"), store, quick),
                message -> {
                    log.add(message);
                    System.out.println("[evaluation] " + message);
                });
        String what = String.format(Locale.ROOT, "the short run's checkpoint after %,d steps, %s", r.step(),
                quick ? "quick subsets" : "full evaluation");

        Publication table = publication(results, "evaluation/table", c, store, configFile);
        PosProbing.Layer best = r.pos().best();
        table.attribute("step", String.format(Locale.ROOT, "%,d", r.step()))
                .attribute("subsets", quick ? "quick subsets" : "the full data")
                .attribute("imdb-accuracy", pct(r.imdb().model().accuracy()))
                .attribute("imdb-perplexity", num(r.imdb().model().perplexity()))
                .attribute("imdb-unigram-accuracy", pct(r.imdb().unigram().accuracy()))
                .attribute("imdb-unigram-perplexity", num(r.imdb().unigram().perplexity()))
                .attribute("imdb-masked", String.format(Locale.ROOT, "%,d", r.imdb().model().masked()))
                .attribute("wiki-accuracy", pct(r.wikiText().model().accuracy()))
                .attribute("wiki-perplexity", num(r.wikiText().model().perplexity()))
                .attribute("wiki-unigram-perplexity", num(r.wikiText().unigram().perplexity()))
                .attribute("wiki-ratio", String.format(Locale.ROOT, "%.2f",
                        r.wikiText().model().perplexity() / r.imdb().model().perplexity()))
                .attribute("wiki-shift", r.wikiText().model().perplexity() > r.imdb().model().perplexity()
                        ? "more perplexed out of domain, the price of the domain shift"
                        : "not more perplexed out of domain, against expectation")
                .attribute("pos-control", pct(best.control().testAccuracy()))
                .attribute("pos-accuracy", pct(best.real().testAccuracy()))
                .attribute("pos-layer", Integer.toString(best.layer()))
                .attribute("pos-selectivity", pp(best.selectivity()))
                .attribute("pos-most-frequent", pct(r.pos().mostFrequent().accuracy()))
                .attribute("pos-unseen", pct(r.pos().mostFrequent().unseenShare()))
                .attribute("pos-fallback", r.pos().mostFrequent().fallbackTag())
                .attribute("sst2-accuracy", pct(r.sst2().pretrained().devAccuracy()))
                .attribute("sst2-random", pct(r.sst2().random().devAccuracy()))
                .attribute("sst2-majority", pct(r.sst2().majority()))
                .attribute("sst2-bow", pct(r.sst2().bagOfWords().testAccuracy()))
                .attribute("ppl-ratio", String.format(Locale.ROOT, "%.2f",
                        r.imdb().unigram().perplexity() / r.imdb().model().perplexity()))
                .attribute("nats", String.format(Locale.ROOT, "%.3f", r.imdb().unigram().loss() - r.imdb().model().loss()))
                .attribute("imdb-se", String.format(Locale.ROOT, "%.2f", 100 * Math.sqrt(r.imdb().model().accuracy()
                        * (1 - r.imdb().model().accuracy()) / r.imdb().model().masked())))
                .attribute("probe-params", String.format(Locale.ROOT, "%,d",
                        PosProbing.UPOS.size() * (Checkpoint.readConfig(checkpoint.resolve("config.json")).hiddenSize() + 1)))
                .attribute("types", String.format(Locale.ROOT, "%,d", r.pos().trainTypes()))
                .attribute("pos-l2", String.format(Locale.ROOT, "%.0e", best.real().l2()))
                .attribute("untrained-selectivity", pp(r.pos().untrained().get(0).selectivity()))
                .attribute("sst2-steps", String.format(Locale.ROOT, "%,d", r.sst2().pretrained().steps()))
                .attribute("sst2-train", String.format(Locale.ROOT, "%,d", r.sst2().train()))
                .table("The evaluation of " + what, List.of("Measure", "minibert", "Baselines"), r.tidyRows());

        Publication data = publication(results, "evaluation/data", c, store, configFile);
        data.attribute("pos-dropped", Integer.toString(r.pos().dropped()))
                .attribute("pos-split", Integer.toString(r.pos().split()))
                .attribute("sst2-truncated", Integer.toString(r.sst2().truncated()))
                .table("What the evaluation read (" + (quick ? "quick subsets" : "full data") + ")", List.of("Part", "Figure"), List.of(
                        List.of("IMDB held-out: sequences, masked tokens", r.imdb().sequences() + ", " + r.imdb().model().masked()),
                        List.of("WikiText-2 valid: sequences, masked tokens", r.wikiText().sequences() + ", " + r.wikiText().model().masked()),
                        List.of("EWT words (train / dev / test)", r.pos().trainWords() + " / " + r.pos().devWords() + " / " + r.pos().testWords()),
                        List.of("EWT words dropped (longer than T − 2 pieces alone)", r.pos().dropped()),
                        List.of("EWT sentences cut into windows of whole words", r.pos().split()),
                        List.of("SST-2 sentences (train / held out / dev)", r.sst2().train() + " / " + r.sst2().heldOut() + " / " + r.sst2().dev()),
                        List.of("SST-2 sentences cut to " + c.sst2MaxLength() + " pieces", r.sst2().truncated())));

        probe(results, r, c, store, configFile);
        sst2(results, r, c, store, configFile);
        bf16(results, r, c, store, configFile);
        attention(results, checkpoint, store, c, configFile);
        gradientCheck(results, c);

        Publication cost = publication(results, "evaluation/cost", c, store, configFile);
        double[] s = r.seconds();
        cost.attribute("seconds", String.format(Locale.ROOT, "%.0f", s[4]))
                .attribute("heap-mib", String.format(Locale.ROOT, "%,d", r.peakHeapBytes() >> 20))
                .table("Time and memory of this build's evaluation (" + (quick ? "quick" : "full") + ", double precision, "
                        + Runtime.getRuntime().availableProcessors() + " CPUs)", List.of("Part", "Seconds"), List.of(
                        List.of("masked LM (both corpora, unigram)", fmt(s[0])),
                        List.of("POS probe (features of two models, 2·(L+1)·2 probes)", fmt(s[1])),
                        List.of("SST-2 (baselines, two fine-tunings)", fmt(s[2])),
                        List.of("BF16 (masked LM, SST-2, sizes on disk)", fmt(s[3])),
                        List.of("total", fmt(s[4])),
                        List.of("peak heap (sum of the pools' peaks: an upper bound)", String.format(Locale.ROOT, "%,d MiB", r.peakHeapBytes() >> 20)),
                        List.of("the JVM's maximum heap, within which it ran", String.format(Locale.ROOT, "%,d MiB",
                                Runtime.getRuntime().maxMemory() >> 20))));
    }

    private static Publication publication(Results results, String name, EvalConfig c, DataStore store, Path config) {
        Publication p = results.publish(name).seed(c.seed()).config(config);
        for (String[] f : new String[][] {{"imdb", "train.tsv.gz"}, {"imdb", "unsup.tsv.gz"}, {"wikitext2_raw", "wiki.valid.raw.gz"},
                {"ud_english_ewt", "en_ewt-ud-train.conllu.gz"}, {"sst2", "train.tsv"}, {"sst2", "dev.tsv"}}) {
            p.data(f[0] + "/" + f[1], store.sha256(f[0], f[1]));
        }
        return p;
    }

    private static void probe(Results results, EvaluationReport r, EvalConfig c, DataStore store, Path config) {
        int n = r.pos().pretrained().size();
        double[] x = new double[n], acc = new double[n], ctl = new double[n], uAcc = new double[n], uCtl = new double[n];
        List<List<String>> rows = new ArrayList<>();
        for (int l = 0; l < n; l++) {
            PosProbing.Layer p = r.pos().pretrained().get(l), u = r.pos().untrained().get(l);
            x[l] = l;
            acc[l] = 100 * p.real().testAccuracy();
            ctl[l] = 100 * p.control().testAccuracy();
            uAcc[l] = 100 * u.real().testAccuracy();
            uCtl[l] = 100 * u.control().testAccuracy();
            rows.add(List.of(l == 0 ? "0 (embeddings)" : Integer.toString(l), pct(p.real().testAccuracy()),
                    pct(p.control().testAccuracy()), pp(p.selectivity()), pct(u.real().testAccuracy()),
                    pct(u.control().testAccuracy()), pp(u.selectivity()),
                    String.format(Locale.ROOT, "%.0e, %d", p.real().l2(), p.real().epoch())));
        }
        results.publish("evaluation/probe-layers").seed(c.seed()).config(config)
                .data("ud_english_ewt/en_ewt-ud-train.conllu.gz", store.sha256("ud_english_ewt", "en_ewt-ud-train.conllu.gz"))
                .plot("POS probe accuracy per layer on EWT test, with the control task (%)", Plot.of("layer", "accuracy (%)")
                        .line("pre-trained: tags", x, acc).line("pre-trained: control task", x, ctl)
                        .line("untrained: tags", x, uAcc).line("untrained: control task", x, uCtl)
                        .reference("most frequent tag", 100 * r.pos().mostFrequent().accuracy()));
        results.publish("evaluation/probe-table").seed(c.seed()).config(config)
                .table("The probe at every layer (EWT test); selectivity = accuracy − control accuracy",
                        List.of("Layer", "Accuracy", "Control", "Selectivity", "Untrained", "Untrained control",
                                "Untrained selectivity", "λ, epoch (on dev)"), rows);
    }

    private static void sst2(Results results, EvaluationReport r, EvalConfig c, DataStore store, Path config) {
        int[][] m = r.sst2().pretrained().confusion();
        results.publish("evaluation/confusion").seed(c.seed()).config(config)
                .data("sst2/dev.tsv", store.sha256("sst2", "dev.tsv"))
                .attribute("false-positive", Integer.toString(m[0][1]))
                .attribute("false-negative", Integer.toString(m[1][0]))
                .attribute("predictions", oneClass(m) == null
                        ? String.format(Locale.ROOT, "The fine-tuned model predicts both classes: %d negative sentences taken for "
                                + "positive, %d positive ones for negative.", m[0][1], m[1][0])
                        : "In this build the fine-tuned model predicts " + oneClass(m) + " for every dev sentence, so its "
                                + "accuracy is that class's share of dev, and its distance to the other starts measures nothing: "
                                + "this build's short pre-training gives fine-tuning too little to start from (the chapter "
                                + "Results evaluates the weights of the recorded reference run).")
                .svg("SST-2 dev: confusion matrix of the fine-tuned model (rows: true class; shade: share of the row)",
                        HeatMap.counts(List.of("negative", "positive"), List.of("negative", "positive"), m,
                                "true class", "predicted class"));
        List<List<String>> rows = new ArrayList<>();
        String[] starts = {"pre-trained", "random initialisation"};
        EvaluationReport.FineTuned[] runs = {r.sst2().pretrained(), r.sst2().random()};
        for (int k = 0; k < 2; k++) {
            var f = runs[k];
            for (Sst2FineTuning.Epoch e : f.epochs()) {
                rows.add(List.of(starts[k], e.epoch() + (e.epoch() == f.bestEpoch() ? " (kept)" : ""),
                        String.format(Locale.ROOT, "%.4f", e.trainLoss()), pct(e.heldOutAccuracy())));
            }
        }
        results.publish("evaluation/sst2-epochs").seed(c.seed()).config(config)
                .table("Fine-tuning epoch by epoch: the epoch kept is the best on the held-out " + pct(c.sst2HeldOutShare())
                        + " of SST-2 train", List.of("Start", "Epoch", "Training loss", "Held-out accuracy"), rows);
    }

    /** The class a confusion matrix [true][predicted] shows predicted for every sentence, or null if both were. */
    static String oneClass(int[][] m) {
        return m[0][1] + m[1][1] == 0 ? "negative" : m[0][0] + m[1][0] == 0 ? "positive" : null;
    }

    /**
     * What rounding to bfloat16 did to the evaluation, in words: the masked LM (both corpora within half a point) and
     * SST-2 (within a point), the latter saying nothing when the fine-tuned model predicts one class for everything.
     */
    static String bf16Verdict(boolean maskedSteady, boolean sst2Steady, String oneClass) {
        if (oneClass != null) {
            return (maskedSteady ? "barely moved the masked-LM evaluation (less than half a point of masked accuracy)"
                    : "moved the masked-LM evaluation by more than half a point of masked accuracy")
                    + "; SST-2 says nothing here, its fine-tuned model predicting " + oneClass + " for every sentence";
        }
        return maskedSteady && sst2Steady
                ? "barely moved the evaluation (less than half a point of masked accuracy, less than a point on SST-2): "
                        + "the model's decisions rest on differences larger than bfloat16's spacing"
                : "moved the evaluation by more than half a point of masked accuracy or a point on SST-2";
    }

    private static void bf16(Results results, EvaluationReport r, EvalConfig c, DataStore store, Path config) {
        var b = r.bf16();
        results.publish("evaluation/bf16").seed(c.seed()).config(config)
                .attribute("imdb-change", pp(b.imdb().accuracy() - r.imdb().model().accuracy()))
                .attribute("sst2-change", pp(b.sst2DevAccuracy() - r.sst2().pretrained().devAccuracy()))
                .attribute("bytes-f32", String.format(Locale.ROOT, "%,d", b.bytesFloat32()))
                .attribute("bytes-bf16", String.format(Locale.ROOT, "%,d", b.bytesBfloat16()))
                .attribute("verdict", bf16Verdict(Math.abs(b.imdb().accuracy() - r.imdb().model().accuracy()) < 0.005
                                && Math.abs(b.wikiText().accuracy() - r.wikiText().model().accuracy()) < 0.005,
                        Math.abs(b.sst2DevAccuracy() - r.sst2().pretrained().devAccuracy()) < 0.01,
                        oneClass(r.sst2().pretrained().confusion())))
                .attribute("size-ratio", String.format(Locale.ROOT, "%.2f", (double) b.bytesFloat32() / b.bytesBfloat16()))
                .table("BF16 inference (weights and every hidden state rounded) against float64",
                        List.of("Measure", "float64", "bfloat16", "Change"), r.bf16Rows());
        List<List<String>> rows = new ArrayList<>();
        double u = 0x1.0p-7, worst = 0;
        for (double v : new double[] {1.0, 1 + u / 2, 1 + 3 * u / 2, 0.1, Math.PI, -2.0 / 3, 1e-40, Bf16.MAX + 0x1.0p119, Double.NaN}) {
            short bits = Bf16.bits(v);
            if (Double.isFinite(v) && Math.abs(v) >= Bf16.MIN_NORMAL && Double.isFinite(Bf16.round(v))) {
                worst = Math.max(worst, Math.abs(Bf16.round(v) - v) / Math.abs(v));
            }
            rows.add(List.of(Double.toString(v), String.format(Locale.ROOT, "0x%04X", bits & 0xFFFF),
                    Double.toString(Bf16.round(v)), Double.isFinite(v) && Double.isFinite(Bf16.round(v)) && v != 0
                            ? String.format(Locale.ROOT, "%.2e", Math.abs(Bf16.round(v) - v) / Math.abs(v)) : "–"));
        }
        results.publish("evaluation/bf16-rounding")
                .attribute("worst", String.format(Locale.ROOT, "%.2e", worst))
                .attribute("double", Double.toString(Bf16.round(1 + u / 2 + 0x1.0p-30)))
                .table("Bf16.round on a few values (computed by this build)",
                List.of("x", "bfloat16 bits", "round(x)", "relative error"), rows);
    }

    private static void attention(Results results, Path checkpoint, DataStore store, EvalConfig c, Path config) {
        WordPiece wp = new WordPiece(Vocabulary.load(checkpoint.resolve("vocab.txt")));
        var test = ConlluReader.read(store.file("ud_english_ewt", "en_ewt-ud-test.conllu.gz"));
        String sentence = null;
        for (var s : test) {                         // the first test sentence of 8 to 12 words, a plain one
            if (s.words().size() >= 8 && s.words().size() <= 12 && s.text() != null && s.text().endsWith(".")
                    && Character.isUpperCase(s.text().charAt(0)) && s.text().chars().noneMatch(ch -> "#*_{}[]`~^+<>|\\".indexOf(ch) >= 0)) {
                sentence = s.text();
                break;
            }
        }
        if (sentence == null) {
            throw new IllegalStateException("EWT test has no sentence of 8 to 12 words");
        }
        AttentionMaps maps = AttentionMaps.of(Checkpoint.load(checkpoint), wp, sentence);
        results.publish("evaluation/attention").seed(c.seed()).config(config)
                .data("ud_english_ewt/en_ewt-ud-test.conllu.gz", store.sha256("ud_english_ewt", "en_ewt-ud-test.conllu.gz"))
                .attribute("sentence", sentence.replace("\"", "'"))
                .svg("Attention weights of every layer (rows) and head (columns) on “" + sentence
                                + "” (row i: where query i looks; each map shaded relative to its largest weight; hover a cell for its value)",
                        HeatMap.grid(maps.tokens(), maps.weights(), "layer", "head"));
    }

    /** The probe's gradient against fourth-order central differences, every entry (odd sizes: N 7, H 11, K 5). */
    private static void gradientCheck(Results results, EvalConfig c) {
        long seed = c.seed();
        int n = 7, h = 11, k = 5;
        Random random = new Random(seed);
        Probe probe = new Probe(h, k, 0.3, Products.REFERENCE);
        for (Param p : probe.parameters()) {
            for (int i = 0; i < p.size(); i++) {
                p.value().data[i] = 0.5 * random.nextGaussian();
            }
        }
        DMatrixRMaj x = new DMatrixRMaj(n, h);
        for (int i = 0; i < x.data.length; i++) {
            x.data[i] = random.nextGaussian();
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = random.nextInt(k);
        }
        Probe.Activations acts = new Probe.Activations(n, h, k), other = new Probe.Activations(n, h, k);
        probe.forward(x, labels, acts);
        probe.backward(x, acts);
        List<List<String>> rows = new ArrayList<>();
        double worst = 0, step = 1e-3;
        for (Param p : probe.parameters()) {
            double largest = 0, error = 0;
            for (double g : p.grad().data) {
                largest = Math.max(largest, Math.abs(g));
            }
            for (int i = 0; i < p.size(); i++) {
                double v = p.value().data[i];
                double[] l = new double[4];
                double[] at = {v + 2 * step, v + step, v - step, v - 2 * step};
                for (int j = 0; j < 4; j++) {
                    p.value().data[i] = at[j];
                    l[j] = probe.forward(x, labels, other);
                }
                p.value().data[i] = v;
                double numeric = (-l[0] + 8 * l[1] - 8 * l[2] + l[3]) / (12 * step);
                error = Math.max(error, Math.abs(numeric - p.grad().data[i]) / Math.max(Math.abs(numeric), 1e-3 * largest));
            }
            worst = Math.max(worst, error);
            rows.add(List.of(p.name(), Integer.toString(p.size()), String.format(Locale.ROOT, "%.1e", error)));
        }
        results.publish("evaluation/probe-gradcheck-table").seed(seed)
                .table("The probe's gradient (λ = 0.3) against central differences, every entry", List.of("Tensor", "Entries", "Max rel. error"), rows);
        results.publish("evaluation/probe-gradcheck").seed(seed)
                .check("The probe's hand-derived gradient matches the finite differences", worst < 1e-7,
                        String.format(Locale.ROOT, "largest relative error %.1e (tolerance 1e-7)", worst));
    }

    private static String pct(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.1f%%", 100 * v) : "–";
    }

    private static String pp(double v) {
        return String.format(Locale.ROOT, "%+.1f pp", 100 * v);
    }

    private static String num(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String fmt(double seconds) {
        return String.format(Locale.ROOT, "%.1f", seconds);
    }
}
