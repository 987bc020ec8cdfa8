package minibert.nn;

import org.ejml.data.DMatrixRMaj;

/**
 * BERT's input embeddings: word + position + token type, then LayerNorm.
 *
 * <pre>
 * e_i = E_word[id_i] + E_pos[i mod T] + E_type[type_i],   y = LN(e)       [B·T, H]
 * </pre>
 */
public final class Embeddings {

    private final Param word;
    private final Param position;
    private final Param type;
    private final LayerNorm norm;
    private int[] ids;
    private int[] types;
    private int length;

    public Embeddings(int vocab, int positions, int typeVocab, int hidden, double eps) {
        this.word = new Param("bert.embeddings.word_embeddings.weight", vocab, hidden);
        this.position = new Param("bert.embeddings.position_embeddings.weight", positions, hidden);
        this.type = new Param("bert.embeddings.token_type_embeddings.weight", typeVocab, hidden);
        this.norm = new LayerNorm("bert.embeddings.LayerNorm", hidden, eps);
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
     * @param ids   token ids [B·T]
     * @param types token types [B·T]
     * @param t     sequence length T (position of entry i is i mod T)
     * @return the embeddings before LayerNorm are not kept; returns LN(e) [B·T, H]
     */
    public DMatrixRMaj forward(int[] ids, int[] types, int t) {
        return forward(ids, types, t, null);
    }

    /** As {@link #forward(int[], int[], int)}, with {@code offset} [B·T, H] added to e (for gradient checks). */
    // tag::forward[]
    public DMatrixRMaj forward(int[] ids, int[] types, int t, DMatrixRMaj offset) {
        int h = word.value().numCols;
        if (t > position.value().numRows) {
            throw new IllegalArgumentException("bert.embeddings: sequence length " + t + " exceeds "
                    + position.value().numRows + " positions");
        }
        this.ids = ids;
        this.types = types;
        this.length = t;
        DMatrixRMaj e = new DMatrixRMaj(ids.length, h);           // [B·T, H]
        for (int i = 0; i < ids.length; i++) {
            check(ids[i], word, "token id");
            check(types[i], type, "token type");
            int w = ids[i] * h, p = (i % t) * h, ty = types[i] * h;
            for (int c = 0; c < h; c++) {
                e.data[i * h + c] = word.value().data[w + c] + position.value().data[p + c] + type.value().data[ty + c];
            }
        }
        if (offset != null) {
            SelfAttention.add(e, offset);
        }
        return norm.forward(e);
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
     * @return de, the gradient with respect to the summed embeddings e [B·T, H] (used by the gradient check)
     */
    // tag::backward[]
    public DMatrixRMaj backward(DMatrixRMaj dy) {
        int h = word.value().numCols;
        DMatrixRMaj de = norm.backward(dy);                       // [B·T, H]
        for (int i = 0; i < ids.length; i++) {
            int w = ids[i] * h, p = (i % length) * h, ty = types[i] * h;
            for (int c = 0; c < h; c++) {
                double g = de.data[i * h + c];
                word.grad().data[w + c] += g;                     // += : repeated ids accumulate
                position.grad().data[p + c] += g;
                type.grad().data[ty + c] += g;
            }
        }
        return de;
    }
    // end::backward[]
}
