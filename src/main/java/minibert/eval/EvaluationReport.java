package minibert.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minibert.train.RunDirectory;
import minibert.train.Tally;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Everything {@link Evaluation} measured on one checkpoint, the tidy table made from it, and its JSON and
 * Markdown forms (written atomically).
 *
 * @param checkpoint   the checkpoint folder evaluated
 * @param step         its training step (from trainer_state.json), or −1 when it has none
 * @param quick        whether the quick subsets were used
 * @param imdb         masked-LM outcome on the IMDB held-out split
 * @param wikiText     masked-LM outcome on WikiText-2 valid
 * @param pos          the POS probe
 * @param sst2         SST-2
 * @param bf16         the same model with weights and hidden states rounded to bfloat16
 * @param seconds      wall time of each part, in order: masked LM, POS, SST-2, BF16, total
 * @param peakHeapBytes the largest heap in use during the evaluation (the sum of the heap pools' peaks: an upper bound)
 * @param maxHeapBytes  the JVM's heap limit ({@code -Xmx}) it ran under: a bound the heap in use never crossed
 */
public record EvaluationReport(String checkpoint, long step, boolean quick, long seed, MaskedLmEvaluation.Outcome imdb,
                               MaskedLmEvaluation.Outcome wikiText, Pos pos, Sst2 sst2, Bf16Comparison bf16,
                               double[] seconds, long peakHeapBytes, long maxHeapBytes) {

    /**
     * The POS probe's outcome.
     *
     * @param trainTypes distinct (lower-cased) word forms among the training words
     * @param trainWords words per split (kept), then {@code dropped} words dropped in all splits and
     *                   {@code split} sentences cut into windows
     * @param bestLayer  the pre-trained model's layer with the best dev accuracy; its test accuracy is reported
     */
    public record Pos(int trainWords, int trainTypes, int devWords, int testWords, int dropped, int split, List<PosProbing.Layer> pretrained,
                      List<PosProbing.Layer> untrained, PosProbing.MostFrequent mostFrequent, int bestLayer,
                      int untrainedBestLayer) {

        public PosProbing.Layer best() {
            return pretrained.get(bestLayer);
        }

        public PosProbing.Layer untrainedBest() {
            return untrained.get(untrainedBestLayer);
        }
    }

    /** SST-2: sizes, baselines, and both fine-tunings (the classifiers themselves are not kept here). */
    public record Sst2(int train, int heldOut, int dev, int truncated, double majority, int majorityClass,
                       BagOfWords.Outcome bagOfWords, FineTuned pretrained, FineTuned random) {
    }

    /** A fine-tuning's record. */
    public record FineTuned(List<Sst2FineTuning.Epoch> epochs, int bestEpoch, int steps, double devAccuracy,
                            int[][] confusion) {
        static FineTuned of(Sst2FineTuning.Outcome o) {
            return new FineTuned(o.epochs(), o.bestEpoch(), o.steps(), o.devAccuracy(), o.confusion());
        }
    }

    /** BF16 against full precision: the masked-LM tallies, SST-2 dev accuracy, and the weights' bytes on disk. */
    public record Bf16Comparison(Tally imdb, Tally wikiText, double sst2DevAccuracy, long bytesFloat64,
                                 long bytesFloat32, long bytesBfloat16) {
    }

    /** The tidy table: measure, minibert, baselines. */
    public List<List<String>> tidyRows() {
        List<List<String>> rows = new ArrayList<>();
        for (MaskedLmEvaluation.Outcome o : List.of(imdb, wikiText)) {
            rows.add(List.of("Masked accuracy, " + o.corpus(), pct(o.model().accuracy()),
                    "unigram " + pct(o.unigram().accuracy())));
            rows.add(List.of("Perplexity, " + o.corpus(), num(o.model().perplexity()),
                    "unigram " + num(o.unigram().perplexity())));
        }
        PosProbing.Layer best = pos.best();
        rows.add(List.of("POS accuracy, EWT test (layer " + best.layer() + ", chosen on dev)", pct(best.real().testAccuracy()),
                "most frequent tag " + pct(pos.mostFrequent().accuracy()) + "; untrained model "
                        + pct(pos.untrainedBest().real().testAccuracy()) + "; control task "
                        + pct(best.control().testAccuracy()) + " (selectivity " + pp(best.selectivity()) + ")"));
        rows.add(List.of("SST-2 accuracy, dev", pct(sst2.pretrained().devAccuracy()),
                "majority class " + pct(sst2.majority()) + "; bag of words " + pct(sst2.bagOfWords().testAccuracy())
                        + "; fine-tuned from random initialisation " + pct(sst2.random().devAccuracy())));
        return rows;
    }

    /** BF16 against full precision: measure, float64, bfloat16, change. */
    public List<List<String>> bf16Rows() {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("Masked accuracy, " + imdb.corpus(), pct(imdb.model().accuracy()), pct(bf16.imdb().accuracy()),
                pp(bf16.imdb().accuracy() - imdb.model().accuracy())));
        rows.add(List.of("Perplexity, " + imdb.corpus(), num(imdb.model().perplexity()), num(bf16.imdb().perplexity()),
                signed(bf16.imdb().perplexity() - imdb.model().perplexity())));
        rows.add(List.of("Masked accuracy, " + wikiText.corpus(), pct(wikiText.model().accuracy()),
                pct(bf16.wikiText().accuracy()), pp(bf16.wikiText().accuracy() - wikiText.model().accuracy())));
        rows.add(List.of("Perplexity, " + wikiText.corpus(), num(wikiText.model().perplexity()),
                num(bf16.wikiText().perplexity()), signed(bf16.wikiText().perplexity() - wikiText.model().perplexity())));
        rows.add(List.of("SST-2 accuracy, dev", pct(sst2.pretrained().devAccuracy()), pct(bf16.sst2DevAccuracy()),
                pp(bf16.sst2DevAccuracy() - sst2.pretrained().devAccuracy())));
        rows.add(List.of("Weights on disk (safetensors)", mb(bf16.bytesFloat64()) + " (float64), " + mb(bf16.bytesFloat32())
                + " (float32)", mb(bf16.bytesBfloat16()), String.format(Locale.ROOT, "%.2f× smaller than float32",
                (double) bf16.bytesFloat32() / bf16.bytesBfloat16())));
        return rows;
    }

    /** The report as Markdown: the tidy table, the per-layer probe, SST-2's confusion matrix, BF16, time and memory. */
    public String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("# Evaluation of ").append(checkpoint).append("\n\n");
        b.append(step >= 0 ? "Step " + String.format(Locale.ROOT, "%,d", step) + ". " : "")
                .append(quick ? "Quick evaluation (subsets). " : "Full evaluation. ")
                .append("Seed ").append(seed).append(". Double precision.\n\n");
        table(b, List.of("Measure", "minibert", "Baselines"), tidyRows());
        b.append("\n## POS probe per layer (EWT test)\n\n");
        List<List<String>> layers = new ArrayList<>();
        for (int l = 0; l < pos.pretrained().size(); l++) {
            PosProbing.Layer p = pos.pretrained().get(l), u = pos.untrained().get(l);
            layers.add(List.of(Integer.toString(l), pct(p.real().testAccuracy()), pct(p.control().testAccuracy()),
                    pp(p.selectivity()), pct(u.real().testAccuracy()), pct(u.control().testAccuracy()), pp(u.selectivity())));
        }
        table(b, List.of("Layer", "Accuracy", "Control", "Selectivity", "Untrained: accuracy", "Untrained: control",
                "Untrained: selectivity"), layers);
        b.append("\n## SST-2 confusion matrix (dev, rows: true class, columns: predicted)\n\n");
        int[][] c = sst2.pretrained().confusion();
        table(b, List.of("", "predicted negative", "predicted positive"), List.of(
                List.of("negative", Integer.toString(c[0][0]), Integer.toString(c[0][1])),
                List.of("positive", Integer.toString(c[1][0]), Integer.toString(c[1][1]))));
        b.append("\n## BF16 inference against float64\n\n");
        table(b, List.of("Measure", "float64", "bfloat16", "Change"), bf16Rows());
        b.append(String.format(Locale.ROOT, "%nTime: %.0f s (masked LM %.0f s, POS %.0f s, SST-2 %.0f s, BF16 %.0f s); %s.%n",
                seconds[4], seconds[0], seconds[1], seconds[2], seconds[3], heap()));
        return b.toString();
    }

    /**
     * The heap the evaluation used, in words: the limit it ran under, which the heap in use never crossed (the JVM
     * enforces it), and the sum of the heap pools' peaks, a looser bound (each pool peaks at its own moment), which
     * can exceed the limit: "heap limit 3,072 MiB, never crossed (the heap pools' peaks sum to 4,101 MiB)".
     */
    public String heap() {
        return String.format(Locale.ROOT, "heap limit %,d MiB, never crossed (the heap pools' peaks sum to %,d MiB)",
                maxHeapBytes >> 20, peakHeapBytes >> 20);
    }

    /** The report as JSON: every figure, not only the table's. */
    public String json() {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = m.createObjectNode();
        root.put("checkpoint", checkpoint);
        root.put("step", step);
        root.put("quick", quick);
        root.put("seed", seed);
        root.put("precision", "float64");
        ObjectNode mlm = root.putObject("masked_lm");
        for (MaskedLmEvaluation.Outcome o : List.of(imdb, wikiText)) {
            ObjectNode n = mlm.putObject(o.corpus());
            n.put("sequences", o.sequences());
            n.put("batches", o.batches());
            n.set("model", tally(m, o.model()));
            n.set("unigram", tally(m, o.unigram()));
        }
        ObjectNode p = root.putObject("pos");
        p.put("train_words", pos.trainWords());
        p.put("train_types", pos.trainTypes());
        p.put("dev_words", pos.devWords());
        p.put("test_words", pos.testWords());
        p.put("dropped_words", pos.dropped());
        p.put("sentences_split", pos.split());
        p.put("best_layer", pos.bestLayer());
        p.put("most_frequent_tag", pos.mostFrequent().accuracy());
        p.put("most_frequent_unseen_share", pos.mostFrequent().unseenShare());
        p.put("most_frequent_fallback", pos.mostFrequent().fallbackTag());
        p.set("pretrained", layers(m, pos.pretrained()));
        p.set("untrained", layers(m, pos.untrained()));
        ObjectNode s = root.putObject("sst2");
        s.put("train", sst2.train());
        s.put("held_out", sst2.heldOut());
        s.put("dev", sst2.dev());
        s.put("truncated", sst2.truncated());
        s.put("majority", sst2.majority());
        s.put("majority_class", sst2.majorityClass());
        ObjectNode bow = s.putObject("bag_of_words");
        bow.put("vocabulary", sst2.bagOfWords().vocabulary());
        bow.put("best_epoch", sst2.bagOfWords().bestEpoch());
        bow.put("dev_accuracy", sst2.bagOfWords().testAccuracy());
        s.set("pretrained", fineTuned(m, sst2.pretrained()));
        s.set("random_init", fineTuned(m, sst2.random()));
        ObjectNode f = root.putObject("bf16");
        f.set("imdb", tally(m, bf16.imdb()));
        f.set("wikitext", tally(m, bf16.wikiText()));
        f.put("sst2_dev_accuracy", bf16.sst2DevAccuracy());
        f.put("bytes_float64", bf16.bytesFloat64());
        f.put("bytes_float32", bf16.bytesFloat32());
        f.put("bytes_bfloat16", bf16.bytesBfloat16());
        ObjectNode t = root.putObject("seconds");
        String[] parts = {"masked_lm", "pos", "sst2", "bf16", "total"};
        for (int i = 0; i < parts.length; i++) {
            t.put(parts[i], seconds[i]);
        }
        root.put("peak_heap_bytes", peakHeapBytes);
        root.put("max_heap_bytes", maxHeapBytes);
        try {
            return m.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes {@code evaluation.json} and {@code evaluation.md} into {@code dir}, each through a temporary file renamed into place. */
    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        RunDirectory.writeAtomically(dir.resolve("evaluation.json"), json().getBytes(StandardCharsets.UTF_8));
        RunDirectory.writeAtomically(dir.resolve("evaluation.md"), markdown().getBytes(StandardCharsets.UTF_8));
    }

    private static ObjectNode tally(ObjectMapper m, Tally t) {
        ObjectNode n = m.createObjectNode();
        n.put("masked", t.masked());
        n.put("correct", t.correct());
        n.put("accuracy", t.accuracy());
        n.put("loss", t.loss());
        n.put("perplexity", t.perplexity());
        return n;
    }

    private static ArrayNode layers(ObjectMapper m, List<PosProbing.Layer> layers) {
        ArrayNode a = m.createArrayNode();
        for (PosProbing.Layer l : layers) {
            ObjectNode n = a.addObject();
            n.put("layer", l.layer());
            n.put("accuracy", l.real().testAccuracy());
            n.put("dev_accuracy", l.real().devAccuracy());
            n.put("l2", l.real().l2());
            n.put("epoch", l.real().epoch());
            n.put("control_accuracy", l.control().testAccuracy());
            n.put("selectivity", l.selectivity());
        }
        return a;
    }

    private static ObjectNode fineTuned(ObjectMapper m, FineTuned f) {
        ObjectNode n = m.createObjectNode();
        n.put("dev_accuracy", f.devAccuracy());
        n.put("best_epoch", f.bestEpoch());
        n.put("steps", f.steps());
        ArrayNode e = n.putArray("epochs");
        for (Sst2FineTuning.Epoch x : f.epochs()) {
            e.addObject().put("epoch", x.epoch()).put("train_loss", x.trainLoss()).put("held_out_accuracy", x.heldOutAccuracy());
        }
        ArrayNode c = n.putArray("confusion");
        for (int[] row : f.confusion()) {
            ArrayNode r = c.addArray();
            for (int v : row) {
                r.add(v);
            }
        }
        return n;
    }

    private static void table(StringBuilder b, List<String> header, List<List<String>> rows) {
        b.append("| ").append(String.join(" | ", header)).append(" |\n|");
        b.append(" --- |".repeat(header.size())).append('\n');
        for (List<String> r : rows) {
            b.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
    }

    static String pct(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.1f%%", 100 * v) : "–";
    }

    static String pp(double v) {
        return String.format(Locale.ROOT, "%+.1f pp", 100 * v);
    }

    static String num(double v) {
        if (!Double.isFinite(v)) {
            return "–";
        }
        return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    static String signed(double v) {
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%+,.0f" : "%+.3f", v);
    }

    static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }
}
