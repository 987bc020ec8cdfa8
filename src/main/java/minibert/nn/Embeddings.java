package minibert.nn;

import org.ejml.data.DMatrixRMaj;

/**
 * BERT's input embeddings: word + position + token type, then LayerNorm, then dropout.
 *
 * <pre>
 * e_i = E_word[id_i] + E_pos[i mod T] + E_type[type_i],   y = dropout(LN(e))       [B·T, H]
 * </pre>
 */
public final class Embeddings {

    /** What backward needs of one forward pass over N = B·T positions. */
    public static final class Activations {
        final DMatrixRMaj sum;            // e [B·T, H]
        final LayerNorm.Activations norm;
        final DMatrixRMaj mask;           // dropout multipliers [B·T, H]
        final DMatrixRMaj out;            // y [B·T, H]
        final DMatrixRMaj dSum;           // ∂L/∂e after backward [B·T, H]
        boolean droppedOut;

        public Activations(int rows, int hidden) {
            sum = new DMatrixRMaj(rows, hidden);
            norm = new LayerNorm.Activations(rows, hidden);
            mask = new DMatrixRMaj(rows, hidden);
            out = new DMatrixRMaj(rows, hidden);
            dSum = new DMatrixRMaj(rows, hidden);
        }

        /** y of the last forward pass [B·T, H]. */
        public DMatrixRMaj output() {
            return out;
        }

        /** The gradient with respect to the summed embeddings e of the last backward pass [B·T, H]. */
        public DMatrixRMaj sumGradient() {
            return dSum;
        }
    }

    private final Param word;
    private final Param position;
    private final Param type;
    private final LayerNorm norm;
    private final Dropout dropout;

    public Embeddings(int vocab, int positions, int typeVocab, int hidden, double eps, Dropout dropout) {
        this.word = new Param("bert.embeddings.word_embeddings.weight", Param.Kind.EMBEDDING, vocab, hidden);
        this.position = new Param("bert.embeddings.position_embeddings.weight", Param.Kind.EMBEDDING, positions, hidden);
        this.type = new Param("bert.embeddings.token_type_embeddings.weight", Param.Kind.EMBEDDING, typeVocab, hidden);
        this.norm = new LayerNorm("bert.embeddings.LayerNorm", hidden, eps);
        this.dropout = dropout;
    }

    public Param word() {
        return word;
    }

    public Param position() {
        return position;
    }

    public Param type() {
        return type;
    }

    public LayerNorm norm() {
        return norm;
    }

    /**
     * @param ids    token ids [B·T]. Not modified.
     * @param types  token types [B·T]. Not modified.
     * @param t      sequence length T (the position of entry i is i mod T)
     * @param offset added to e before LayerNorm [B·T, H] (for the gradient check), or null. Not modified.
     * @param pass   training (dropout) or inference
     * @param acts   e, LayerNorm's x̂ and 1/σ, the mask, y. Modified.
     */
    // tag::forward[]
    public void forward(int[] ids, int[] types, int t, DMatrixRMaj offset, Pass pass, Activations acts) {
        int h = word.value().numCols;
        if (t > position.value().numRows) {
            throw new IllegalArgumentException("bert.embeddings: sequence length " + t + " exceeds "
                    + position.value().numRows + " positions");
        }
        Shapes.require("bert.embeddings", "activations", acts.sum, ids.length, h);
        double[] e = acts.sum.data;                               // [B·T, H]
        for (int i = 0; i < ids.length; i++) {
            check(ids[i], word, "token id");
            check(types[i], type, "token type");
            int w = ids[i] * h, p = (i % t) * h, ty = types[i] * h;
            for (int c = 0; c < h; c++) {
                e[i * h + c] = word.value().data[w + c] + position.value().data[p + c] + type.value().data[ty + c];
            }
        }
        if (offset != null) {
            Dropout.add(offset.data, e, e, e.length);
        }
        norm.forward(acts.sum, acts.norm, acts.out);              // LN(e)
        acts.droppedOut = dropout.active(pass);
        if (acts.droppedOut) {
            dropout.mask(pass, acts.mask.data, e.length);
            Dropout.apply(acts.out.data, acts.mask.data, acts.out.data, e.length);
        }
    }
    // end::forward[]

    private static void check(int id, Param table, String what) {
        if (id < 0 || id >= table.value().numRows) {
            throw new IllegalArgumentException("bert.embeddings: " + what + " " + id + " outside [0, " + table.value().numRows + ")");
        }
    }

    /**
     * Scatters the gradient back into the three tables. A word that appears several times collects the sum
     * of its rows' gradients.
     *
     * @param ids   the forward pass's token ids [B·T]. Not modified.
     * @param types its token types [B·T]. Not modified.
     * @param t     its sequence length
     * @param acts  what the forward pass kept; {@code acts.sumGradient()} receives ∂L/∂e. Modified.
     * @param dy    gradient with respect to y [B·T, H]. Not modified.
     */
    // tag::backward[]
    public void backward(int[] ids, int[] types, int t, Activations acts, DMatrixRMaj dy) {
        int h = word.value().numCols;
        double[] de = acts.dSum.data;                             // [B·T, H]
        if (acts.droppedOut) {
            Dropout.apply(dy.data, acts.mask.data, de, de.length);
        } else {
            System.arraycopy(dy.data, 0, de, 0, de.length);
        }
        norm.backward(acts.norm, acts.dSum, acts.dSum);           // ∂L/∂e, in place
        for (int i = 0; i < ids.length; i++) {
            int w = ids[i] * h, p = (i % t) * h, ty = types[i] * h;
            for (int c = 0; c < h; c++) {
                double g = de[i * h + c];
                word.grad().data[w + c] += g;                     // += : repeated ids accumulate
                position.grad().data[p + c] += g;
                type.grad().data[ty + c] += g;
            }
        }
    }
    // end::backward[]
}
