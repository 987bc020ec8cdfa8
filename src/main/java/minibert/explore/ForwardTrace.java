package minibert.explore;

import minibert.config.ModelConfig;
import minibert.model.Batch;
import minibert.model.BertForMaskedLM;
import minibert.nn.EncoderLayer;
import minibert.nn.Pass;
import minibert.nn.SelfAttention;
import minibert.nn.Softmax;
import minibert.text.ModelInputs;
import minibert.text.Vocabulary;
import minibert.text.WordPiece;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * One forward pass of a typed sentence, step by step, in the order the chapters derive it: the pieces and their
 * ids, the three embeddings and their LayerNorm, then for each layer Q, K and V, one head's scaled and masked
 * scores and their softmax, the context, the residual sums and LayerNorms, and finally the MLM head's logits.
 * Every tensor is the model's own (read from the activation record the forward pass filled), except the few the
 * pass does not keep, which are recomputed from their inputs with the model's own layers (said in each step).
 */
public final class ForwardTrace {

    /**
     * One tensor of the pass.
     *
     * @param section   the part of the pass: {@code embeddings}, {@code layer 0}, …, {@code MLM head}
     * @param name      the tensor and its formula, e.g. {@code Q = x·Wqᵀ + bq}
     * @param chapter   the chapter that derives it
     * @param value     the tensor [rows, cols]
     * @param rowLabels a label per row (the pieces, usually)
     * @param note      what the reader should see in it, or empty
     */
    public record Step(String section, String name, String chapter, DMatrixRMaj value, List<String> rowLabels, String note) {

        /** The shape as the book writes it: {@code [7, 192]}. */
        public String shape() {
            return "[" + value.numRows + ", " + value.numCols + "]";
        }
    }

    /**
     * The trace of one text.
     *
     * @param pieces the pieces at the T positions, [PAD] included
     * @param inputs the ids, types and mask the model read
     * @param steps  the tensors, in order
     * @param top    for each real position, the MLM head's three most likely pieces with their probabilities
     */
    public record Trace(List<String> pieces, ModelInputs inputs, List<Step> steps, List<String> top) {
    }

    private ForwardTrace() {
    }

    /**
     * Traces {@code text} through {@code model}.
     *
     * @param length T: the text's pieces with [CLS] and [SEP], padded up to T (0: exactly as many as the text needs)
     * @param head   the head whose scores and softmax are shown
     */
    public static Trace run(BertForMaskedLM model, WordPiece wp, String text, int length, int head) {
        ModelConfig c = model.config();
        Vocabulary v = wp.vocabulary();
        int needed = Math.min(wp.encode(text).length + 2, c.maxPositions());
        int t = length == 0 ? needed : length;
        if (t < 2 || t > c.maxPositions()) {
            throw new IllegalArgumentException("the length must be between 2 and the model's " + c.maxPositions()
                    + " positions, found " + t);
        }
        if (head < 0 || head >= c.numHeads()) {
            throw new IllegalArgumentException("head " + head + " does not exist: the model has heads 0 to " + (c.numHeads() - 1));
        }
        ModelInputs in = ModelInputs.of(wp, text, t);
        int n = in.realLength(), h = c.hiddenSize(), d = h / c.numHeads();
        List<String> pieces = new ArrayList<>();
        for (int id : in.inputIds()) {
            pieces.add(v.token(id));
        }
        int[] labels = new int[t];
        Arrays.fill(labels, minibert.nn.MlmHead.IGNORE);
        for (int i = 0; i < n; i++) {
            labels[i] = in.inputIds()[i];                // every real position is predicted: the head shows them all
        }
        BertForMaskedLM.Activations acts = model.activations(1, t);
        model.forward(new Batch(in.inputIds(), in.tokenTypeIds(), in.attentionMask(), labels, 1, t), acts, Pass.INFERENCE);

        List<Step> steps = new ArrayList<>();
        String emb = "Embeddings and LayerNorm";
        DMatrixRMaj word = gather(model.embeddings().word().value(), in.inputIds());
        steps.add(new Step("embeddings", "E_word[ids]", emb, word, pieces, "a row of the word-embedding table per piece"));
        int[] positions = new int[t];
        for (int i = 0; i < t; i++) {
            positions[i] = i;
        }
        DMatrixRMaj position = gather(model.embeddings().position().value(), positions);
        steps.add(new Step("embeddings", "E_pos[0 … T−1]", emb, position, pieces, "the same for every text: row i is position i"));
        DMatrixRMaj type = gather(model.embeddings().type().value(), in.tokenTypeIds());
        steps.add(new Step("embeddings", "E_type[types]", emb, type, pieces, "segment A everywhere in a single text"));
        DMatrixRMaj sum = word.copy();
        CommonOps_DDRM.addEquals(sum, position);
        CommonOps_DDRM.addEquals(sum, type);
        steps.add(new Step("embeddings", "e = E_word + E_pos + E_type", emb, sum, pieces, "the sum of the three rows above"));
        steps.add(new Step("embeddings", "x = LN(e)", emb, acts.hidden(0).copy(), pieces,
                "each row has mean 0 and variance 1 before γ and β; no dropout in inference"));

        for (int l = 0; l < c.numLayers(); l++) {
            String section = "layer " + l;
            EncoderLayer layer = model.layers().get(l);
            EncoderLayer.Activations la = acts.layer(l);
            SelfAttention.Activations a = la.attention();
            DMatrixRMaj x = acts.hidden(l);
            String att = "Attention";
            steps.add(new Step(section, "Q = x·Wqᵀ + bq", att, a.query(), pieces, c.numHeads() + " heads of d = " + d
                    + " columns side by side"));
            steps.add(new Step(section, "K = x·Wkᵀ + bk", att, a.key(), pieces, ""));
            steps.add(new Step(section, "V = x·Wvᵀ + bv", att, a.value(), pieces, ""));
            DMatrixRMaj scores = scores(a.query(), a.key(), in.attentionMask(), head, d, t);
            steps.add(new Step(section, "head " + head + ": S = Q·Kᵀ/√" + d + " + M", att, scores, pieces,
                    n < t ? "M = −10000 at the padded keys (" + (n == t - 1 ? "column " + n : "columns " + n + " … " + (t - 1)) + ")"
                            : "M = 0: no position is padding (--length pads the text)"));
            DMatrixRMaj softmax = scores.copy();
            Softmax.rows(softmax);
            steps.add(new Step(section, "head " + head + ": P = softmax(S)", att, a.probabilities(0, head), pieces,
                    "each row sums to 1; recomputed from S it differs by " + Stats.num(maxDifference(softmax,
                            a.probabilities(0, head)))));
            steps.add(new Step(section, "C = P·V", att, a.context().copy(), pieces, "each head's context in its own columns"));
            DMatrixRMaj attended = new DMatrixRMaj(t, h);
            layer.attention().output().forward(a.context(), attended);
            steps.add(new Step(section, "A = C·Woᵀ + bo", att, attended, pieces, "recomputed from C: the pass adds it to x in place"));
            DMatrixRMaj residual = attended.copy();
            CommonOps_DDRM.addEquals(residual, x);
            String enc = "The encoder layer and the residual paths";
            steps.add(new Step(section, "x + A", enc, residual, pieces, "the residual sum"));
            steps.add(new Step(section, "h = LN₁(x + A)", enc, la.afterAttention().copy(), pieces, ""));
            String ffn = "Feed-forward and GELU";
            steps.add(new Step(section, "GELU(h·W1ᵀ + b1)", ffn, la.feedForward().activation().copy(), pieces,
                    c.intermediateSize() + " columns, I = 4H"));
            DMatrixRMaj f = new DMatrixRMaj(t, h);
            layer.feedForward().output().forward(la.feedForward().activation(), f);
            steps.add(new Step(section, "F = GELU(…)·W2ᵀ + b2", ffn, f, pieces, "recomputed: the pass adds it to h in place"));
            steps.add(new Step(section, "h + F", enc, la.beforeOutputNorm().copy(), pieces, "the second residual sum"));
            steps.add(new Step(section, "LN₂(h + F), the layer's output", enc, acts.hidden(l + 1).copy(), pieces, ""));
        }

        String mlm = "The MLM head and the loss";
        List<String> real = pieces.subList(0, n);
        DMatrixRMaj transformed = acts.head().transformed().copy();           // [n, H]: every real position
        steps.add(new Step("MLM head", "t = LN(GELU(x·Wtᵀ + bt))", mlm, transformed, real, "at every real position here; "
                + "training computes it at the masked ones only"));
        DMatrixRMaj logits = new DMatrixRMaj(n, c.vocabSize());
        CommonOps_DDRM.multTransB(transformed, model.embeddings().word().value(), logits);
        double[] bias = model.head().decoderBias().value().data;
        for (int r = 0; r < n; r++) {
            for (int col = 0; col < c.vocabSize(); col++) {
                logits.data[r * c.vocabSize() + col] += bias[col];
            }
        }
        steps.add(new Step("MLM head", "z = t·E_wordᵀ + b, the logits", mlm, logits, real, "a score per piece of the vocabulary; "
                + "columns are piece ids"));
        DMatrixRMaj p = acts.head().probabilities();
        List<String> top = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            final int row = r;
            Integer[] ids = new Integer[c.vocabSize()];
            for (int k = 0; k < ids.length; k++) {
                ids[k] = k;
            }
            Arrays.sort(ids, Comparator.comparingDouble((Integer k) -> -p.get(row, k)).thenComparingInt(k -> k));
            StringBuilder b = new StringBuilder();
            for (int k = 0; k < 3; k++) {
                b.append(k == 0 ? "" : ", ").append(v.token(ids[k])).append(String.format(Locale.ROOT, " %.3f", p.get(row, ids[k])));
            }
            top.add(b.toString());
        }
        return new Trace(pieces, in, steps, top);
    }

    /** Rows {@code ids} of {@code table} [rows of ids, H]. */
    static DMatrixRMaj gather(DMatrixRMaj table, int[] ids) {
        return Representations.rows(table, ids);
    }

    /** One head's scores S = Q_h·K_hᵀ/√d + M [T, T], recomputed as the pass computed them before its softmax. */
    static DMatrixRMaj scores(DMatrixRMaj q, DMatrixRMaj k, int[] mask, int head, int d, int t) {
        DMatrixRMaj s = new DMatrixRMaj(t, t);
        int h = q.numCols;
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < t; j++) {
                double dot = 0;
                for (int c = 0; c < d; c++) {
                    dot += q.data[i * h + head * d + c] * k.data[j * h + head * d + c];
                }
                s.data[i * t + j] = dot / Math.sqrt(d) + (mask[j] == 1 ? 0 : SelfAttention.MASKED);
            }
        }
        return s;
    }

    private static double maxDifference(DMatrixRMaj a, DMatrixRMaj b) {
        double worst = 0;
        for (int i = 0; i < a.data.length; i++) {
            worst = Math.max(worst, Math.abs(a.data[i] - b.data[i]));
        }
        return worst;
    }

    /**
     * The trace as text for a terminal: each step with its shape and the first {@code rows} rows and {@code cols}
     * columns of its values.
     */
    public static String render(Trace trace, String text, int rows, int cols) {
        StringBuilder b = new StringBuilder();
        ModelInputs in = trace.inputs();
        b.append("Pieces (chapter \"Tokenization\"): \"").append(text).append("\"\n");
        b.append(String.format(Locale.ROOT, "  %4s  %-16s %6s %5s %5s%n", "pos", "piece", "id", "type", "mask"));
        for (int i = 0; i < trace.pieces().size(); i++) {
            b.append(String.format(Locale.ROOT, "  %4d  %-16s %6d %5d %5d%n", i, trace.pieces().get(i), in.inputIds()[i],
                    in.tokenTypeIds()[i], in.attentionMask()[i]));
        }
        String section = "";
        for (Step s : trace.steps()) {
            if (!s.section().equals(section)) {
                section = s.section();
                b.append('\n').append("== ").append(section).append('\n');
            }
            b.append(String.format(Locale.ROOT, "%s   %s   (chapter \"%s\")%n", s.name(), s.shape(), s.chapter()));
            if (!s.note().isEmpty()) {
                b.append("  ").append(s.note()).append('\n');
            }
            // a small attention matrix is shown whole across: its padded columns are the point
            int r = Math.min(rows, s.value().numRows), c = s.value().numCols <= 12 ? s.value().numCols : Math.min(cols, s.value().numCols);
            for (int i = 0; i < r; i++) {
                b.append(String.format(Locale.ROOT, "  %-12s", clip(s.rowLabels().get(i), 12)));
                for (int j = 0; j < c; j++) {
                    b.append(String.format(Locale.ROOT, " %11.4f", s.value().get(i, j)));
                }
                b.append(c < s.value().numCols ? "  …" : "").append('\n');
            }
            if (r < s.value().numRows) {
                b.append("  … ").append(s.value().numRows - r).append(" more rows\n");
            }
        }
        b.append("\nMost likely pieces at each position (softmax of the logits):\n");
        for (int i = 0; i < trace.top().size(); i++) {
            b.append(String.format(Locale.ROOT, "  %4d  %-16s → %s%n", i, trace.pieces().get(i), trace.top().get(i)));
        }
        return b.toString();
    }

    private static String clip(String s, int width) {
        return s.length() <= width ? s : s.substring(0, width - 1) + "…";
    }
}
