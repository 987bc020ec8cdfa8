package minibert.nn;

import minibert.tensor.Products;
import org.ejml.data.DMatrixRMaj;

/**
 * The masked-language-model head and its loss, at the masked rows only:
 *
 * <pre>
 * x = hidden states at masked positions                 [M, H]
 * t = LN(GELU(x·Wtᵀ + bt))                             [M, H]
 * z = t·Eᵀ + b          E: the word embeddings (tied)   [M, V]
 * L = −(1/M) Σ_m log softmax(z_m)[label_m]              (0 when M = 0)
 * </pre>
 */
public final class MlmHead {

    /** The label of positions that are not predicted, as in Hugging Face. */
    public static final int IGNORE = -100;

    private final Linear transform;
    private final Gelu gelu;
    private final LayerNorm norm;
    private final Param decoderBias;
    private final Param wordEmbeddings;
    private int[] rows;          // the masked positions, [M]
    private int[] targets;       // their labels, [M]
    private int totalRows;
    private DMatrixRMaj transformed;   // t [M, H]
    private DMatrixRMaj probs;         // softmax(z) [M, V]

    public MlmHead(int hidden, int vocab, String activation, double eps, Param wordEmbeddings) {
        this.transform = new Linear("cls.predictions.transform.dense", hidden, hidden);
        this.gelu = new Gelu(activation);
        this.norm = new LayerNorm("cls.predictions.transform.LayerNorm", hidden, eps);
        this.decoderBias = new Param("cls.predictions.bias", 1, vocab);
        this.wordEmbeddings = wordEmbeddings;
    }

    public Linear transform() {
        return transform;
    }

    public LayerNorm norm() {
        return norm;
    }

    public Param decoderBias() {
        return decoderBias;
    }

    /** softmax(z) of the last forward pass [M, V], or null when nothing was masked. */
    public DMatrixRMaj lastProbabilities() {
        return rows.length == 0 ? null : probs;
    }

    /** The number of masked positions of the last forward pass. */
    public int maskedCount() {
        return rows.length;
    }

    /**
     * @param hidden the encoder's output [B·T, H]. Not modified.
     * @param labels the token to predict at each position, or {@link #IGNORE} [B·T]
     * @return the mean cross-entropy over the masked positions
     */
    // tag::forward[]
    public double forward(DMatrixRMaj hidden, int[] labels) {
        int h = hidden.numCols, v = decoderBias.value().numCols;
        totalRows = hidden.numRows;
        int m = 0;
        for (int label : labels) {
            m += label == IGNORE ? 0 : 1;
        }
        rows = new int[m];
        targets = new int[m];
        DMatrixRMaj x = new DMatrixRMaj(m, h);                          // [M, H]: only the masked rows
        for (int i = 0, j = 0; i < labels.length; i++) {
            if (labels[i] != IGNORE) {
                if (labels[i] < 0 || labels[i] >= v) {
                    throw new IllegalArgumentException("cls.predictions: label " + labels[i] + " outside [0, " + v + ")");
                }
                rows[j] = i;
                targets[j] = labels[i];
                System.arraycopy(hidden.data, i * h, x.data, j * h, h);
                j++;
            }
        }
        if (m == 0) {
            return 0;                                                   // nothing masked: zero, not 0/0
        }
        transformed = norm.forward(gelu.forward(transform.forward(x))); // t [M, H]
        probs = new DMatrixRMaj(m, v);                                  // z [M, V]
        Products.multTransB(transformed, wordEmbeddings.value(), probs); // t·Eᵀ (tied decoder)
        double loss = 0;
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < v; c++) {
                probs.data[r * v + c] += decoderBias.value().data[c];
            }
        }
        Softmax.rows(probs);                                            // p = softmax(z)
        for (int r = 0; r < m; r++) {
            loss -= Math.log(probs.data[r * v + targets[r]]);
        }
        return loss / m;
    }
    // end::forward[]

    /**
     * dz = (p − onehot(label)) / M; db += Σ dz; the tied decoder gives the word embeddings a second
     * gradient term dE += dzᵀ·t (the first comes from the input side); dt = dz·E, then back through
     * LayerNorm, GELU and the dense layer, scattered to the masked rows.
     *
     * @return d hidden [B·T, H], zero at rows that were not masked
     */
    // tag::backward[]
    public DMatrixRMaj backward() {
        int h = transform.in(), v = decoderBias.value().numCols, m = rows.length;
        DMatrixRMaj dHidden = new DMatrixRMaj(totalRows, h);
        if (m == 0) {
            return dHidden;
        }
        DMatrixRMaj dz = new DMatrixRMaj(m, v);                         // [M, V]
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < v; c++) {
                dz.data[r * v + c] = probs.data[r * v + c] / m;
            }
            dz.data[r * v + targets[r]] -= 1.0 / m;
        }
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < v; c++) {
                decoderBias.grad().data[c] += dz.data[r * v + c];
            }
        }
        Products.multAddTransA(dz, transformed, wordEmbeddings.grad()); // dE [V, H] += dzᵀ·t
        DMatrixRMaj dt = new DMatrixRMaj(m, h);
        Products.mult(dz, wordEmbeddings.value(), dt);                  // dt = dz·E [M, H]
        DMatrixRMaj dx = transform.backward(gelu.backward(norm.backward(dt)));
        for (int j = 0; j < m; j++) {
            System.arraycopy(dx.data, j * h, dHidden.data, rows[j] * h, h);
        }
        return dHidden;
    }
    // end::backward[]
}
