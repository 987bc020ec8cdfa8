package minibert.explore;

import minibert.model.Batch;
import minibert.model.BertForMaskedLM;
import minibert.nn.MlmHead;
import minibert.nn.Pass;
import org.ejml.data.DMatrixRMaj;

import java.util.Arrays;
import java.util.List;

/**
 * Runs a model over sequences, in inference, and shows each one's insides to a visitor: the attention weights of
 * every layer and head, and the hidden states between the layers, restricted to the sequence's real positions.
 * Sequences go through in batches of up to {@code batch}, padded to the longest of them all; nothing of a batch is
 * kept after its visits.
 */
public final class Inspection {

    private Inspection() {
    }

    /** What one sequence's forward pass left, valid only during the visit. */
    public interface View {

        /** Attention weights of head {@code head} in layer {@code layer} [n, n]: row i holds query i's weights. */
        DMatrixRMaj attention(int layer, int head);

        /** Hidden state {@code l} [n, H]: 0 the embeddings' output, l the output of layer l − 1. */
        DMatrixRMaj hidden(int l);
    }

    /** Receives each sequence with its view. */
    public interface Visitor {
        void visit(int index, Sequence sequence, View view);
    }

    /** Runs {@code model} over {@code sequences} in order, {@code batch} at a time, calling {@code visitor} for each. */
    public static void run(BertForMaskedLM model, List<Sequence> sequences, int batch, Visitor visitor) {
        if (sequences.isEmpty()) {
            return;
        }
        int t = sequences.stream().mapToInt(Sequence::length).max().orElseThrow();
        if (t > model.config().maxPositions()) {
            throw new IllegalArgumentException("a sequence of " + t + " positions is longer than the model's "
                    + model.config().maxPositions());
        }
        int b = Math.max(1, Math.min(batch, sequences.size())), h = model.config().hiddenSize();
        BertForMaskedLM.Activations acts = model.activations(b, t);
        int[] ids = new int[b * t], types = new int[b * t], mask = new int[b * t], labels = new int[b * t];
        Arrays.fill(labels, MlmHead.IGNORE);                  // nothing to predict: the head is skipped
        Batch input = new Batch(ids, types, mask, labels, b, t);
        for (int from = 0; from < sequences.size(); from += b) {
            int count = Math.min(b, sequences.size() - from);
            Arrays.fill(ids, 0);
            Arrays.fill(types, 0);
            Arrays.fill(mask, 0);                             // unused rows are all padding
            for (int r = 0; r < count; r++) {
                Sequence s = sequences.get(from + r);
                System.arraycopy(s.ids(), 0, ids, r * t, s.length());
                System.arraycopy(s.types(), 0, types, r * t, s.length());
                Arrays.fill(mask, r * t, r * t + s.length(), 1);
            }
            model.forward(input, acts, Pass.INFERENCE);
            for (int r = 0; r < count; r++) {
                final int row = r;
                Sequence s = sequences.get(from + r);
                int n = s.length();
                visitor.visit(from + r, s, new View() {
                    @Override
                    public DMatrixRMaj attention(int layer, int head) {
                        DMatrixRMaj full = acts.attention(layer).probabilities(row, head);     // [T, T]
                        DMatrixRMaj p = new DMatrixRMaj(n, n);
                        for (int i = 0; i < n; i++) {
                            System.arraycopy(full.data, i * t, p.data, i * n, n);
                        }
                        return p;
                    }

                    @Override
                    public DMatrixRMaj hidden(int l) {
                        DMatrixRMaj x = acts.hidden(l);                                        // [B·T, H]
                        DMatrixRMaj out = new DMatrixRMaj(n, h);
                        System.arraycopy(x.data, row * t * h, out.data, 0, n * h);
                        return out;
                    }
                });
            }
        }
    }
}
