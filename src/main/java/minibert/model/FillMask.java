package minibert.model;

import minibert.nn.MlmHead;
import minibert.text.ModelInputs;
import minibert.text.Vocabulary;
import minibert.text.WordPiece;
import org.ejml.data.DMatrixRMaj;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/** Predicts the tokens behind each {@code [MASK]} of a text with a masked-language model. */
public final class FillMask {

    /** A candidate for one mask: the piece and its probability. */
    public record Candidate(String token, double probability) {
    }

    private FillMask() {
    }

    /** The top {@code k} candidates for each [MASK], in text order. */
    public static List<List<Candidate>> predict(BertForMaskedLM model, WordPiece wp, String text, int k) {
        int t = model.config().maxPositions();
        ModelInputs in = ModelInputs.of(wp, text, t);
        Vocabulary v = wp.vocabulary();
        int[] labels = new int[t];
        Arrays.fill(labels, MlmHead.IGNORE);
        int masks = 0;
        for (int i = 0; i < t; i++) {
            if (in.inputIds()[i] == v.maskId() && in.attentionMask()[i] == 1) {
                labels[i] = v.maskId();        // any valid id: only the probabilities at these rows are read
                masks++;
            }
        }
        if (masks == 0) {
            throw new IllegalArgumentException("the text has no [MASK] (after truncation to " + t + " pieces): " + text);
        }
        BertForMaskedLM.Activations acts = model.activations(1, t);
        model.forward(new Batch(in.inputIds(), in.tokenTypeIds(), in.attentionMask(), labels, 1, t), acts,
                minibert.nn.Pass.INFERENCE);
        DMatrixRMaj p = acts.head().probabilities();                 // [M, V]
        List<List<Candidate>> out = new ArrayList<>();
        for (int r = 0; r < p.numRows; r++) {
            final int row = r;
            Integer[] ids = new Integer[p.numCols];
            for (int c = 0; c < ids.length; c++) {
                ids[c] = c;
            }
            Arrays.sort(ids, Comparator.comparingDouble((Integer c) -> -p.get(row, c)).thenComparingInt(c -> c));
            List<Candidate> top = new ArrayList<>();
            for (int i = 0; i < Math.min(k, ids.length); i++) {
                top.add(new Candidate(v.token(ids[i]), p.get(row, ids[i])));
            }
            out.add(top);
        }
        return out;
    }
}
