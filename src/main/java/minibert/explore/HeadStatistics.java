package minibert.explore;

import org.ejml.data.DMatrixRMaj;

/**
 * What each attention head looks at, measured as Clark et al. (2019, "What does BERT look at?") measure it, and
 * averaged over every real query position of every sequence seen. For query position i of a sequence of n real
 * positions, with weights p_ij over its keys (each row sums to 1):
 *
 * <pre>
 * entropy      −Σ_j p_ij · ln p_ij                 (nats; ln n for uniform attention, 0 for one key)
 * [CLS]        p_i,cls                              the share of the row on [CLS]
 * [SEP]        Σ_{j : [SEP]} p_ij                   on either [SEP] of a pair
 * previous     p_i,i−1                              over the rows with i ≥ 1
 * next         p_i,i+1                              over the rows with i ≤ n − 2
 * same word    Σ_{j ≠ i, word(j) = word(i)} p_ij    over the rows whose word has two pieces or more
 * </pre>
 *
 * Each statistic is a mean over the rows it is defined on; a grid of L × A heads accumulates them sequence by
 * sequence.
 */
public final class HeadStatistics {

    /** The six statistics, in the order of the book's table. */
    public enum Statistic {
        ENTROPY("entropy", "attention entropy (nats)"),
        CLS("[CLS]", "share on [CLS]"),
        SEP("[SEP]", "share on [SEP]"),
        PREVIOUS("previous", "share on the previous token"),
        NEXT("next", "share on the next token"),
        SAME_WORD("same word", "share on the other pieces of the same word");

        private final String label;
        private final String description;

        Statistic(String label, String description) {
            this.label = label;
            this.description = description;
        }

        /** A short column heading. */
        public String label() {
            return label;
        }

        /** What it measures, in words. */
        public String description() {
            return description;
        }
    }

    private static final int S = Statistic.values().length;

    private final int layers;
    private final int heads;
    private final double[] sums;     // [L, A, S]
    private final long[] rows;       // [L, A, S]: the rows each sum is over

    /** An empty grid of {@code layers} × {@code heads}. */
    public HeadStatistics(int layers, int heads) {
        if (layers < 1 || heads < 1) {
            throw new IllegalArgumentException("a grid needs at least one layer and one head, found " + layers + " × " + heads);
        }
        this.layers = layers;
        this.heads = heads;
        this.sums = new double[layers * heads * S];
        this.rows = new long[layers * heads * S];
    }

    public int layers() {
        return layers;
    }

    public int heads() {
        return heads;
    }

    /**
     * Adds one attention matrix of head {@code head} in layer {@code layer}.
     *
     * @param p   attention weights, row i the query at position i, at least n × n; only the top-left n × n block is
     *            read (n = {@code seq.length()}), and each of its rows must sum to 1 (padded keys carry no weight).
     *            Not modified.
     * @param seq the sequence the weights belong to. Not modified.
     */
    // tag::statistics[]
    public void add(int layer, int head, DMatrixRMaj p, Sequence seq) {
        int n = seq.length(), at = (layer * heads + head) * S;
        check(p, n, seq.source());
        int[] word = seq.words();
        int[] pieces = new int[n];                           // pieces per word
        for (int i = 0; i < n; i++) {
            pieces[word[i]]++;
        }
        for (int i = 0; i < n; i++) {
            double entropy = 0, cls = 0, sep = 0, same = 0;
            for (int j = 0; j < n; j++) {
                double w = p.get(i, j);
                entropy -= w > 0 ? w * Math.log(w) : 0;      // 0 · ln 0 = 0
                cls += seq.isCls(j) ? w : 0;
                sep += seq.isSep(j) ? w : 0;
                same += j != i && word[j] == word[i] ? w : 0;
            }
            accumulate(at, Statistic.ENTROPY, entropy);
            accumulate(at, Statistic.CLS, cls);
            accumulate(at, Statistic.SEP, sep);
            if (i >= 1) {
                accumulate(at, Statistic.PREVIOUS, p.get(i, i - 1));
            }
            if (i + 1 < n) {
                accumulate(at, Statistic.NEXT, p.get(i, i + 1));
            }
            if (pieces[word[i]] >= 2) {
                accumulate(at, Statistic.SAME_WORD, same);
            }
        }
    }
    // end::statistics[]

    private void accumulate(int at, Statistic s, double value) {
        sums[at + s.ordinal()] += value;
        rows[at + s.ordinal()]++;
    }

    /** The statistic of a head: the mean over every row it was defined on, or NaN if it never was. */
    public double mean(int layer, int head, Statistic s) {
        int i = (layer * heads + head) * S + s.ordinal();
        return rows[i] == 0 ? Double.NaN : sums[i] / rows[i];
    }

    /** The rows a head's statistic is a mean over. */
    public long rows(int layer, int head, Statistic s) {
        return rows[(layer * heads + head) * S + s.ordinal()];
    }

    /** Uniform attention over the n real positions [n, n]: the baseline each statistic is read against. */
    public static DMatrixRMaj uniform(int n) {
        DMatrixRMaj p = new DMatrixRMaj(n, n);
        java.util.Arrays.fill(p.data, 1.0 / n);
        return p;
    }

    private static void check(DMatrixRMaj p, int n, String source) {
        if (p.numRows < n || p.numCols < n) {
            throw new IllegalArgumentException(source + ": attention of " + p.numRows + " × " + p.numCols
                    + " cannot hold a sequence of " + n + " positions");
        }
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (int j = 0; j < n; j++) {
                double w = p.get(i, j);
                if (!(w >= 0 && w <= 1)) {
                    throw new IllegalArgumentException(source + ": attention weight " + w + " at (" + i + ", " + j
                            + ") is not in [0, 1]");
                }
                sum += w;
            }
            if (Math.abs(sum - 1) > 1e-6) {
                throw new IllegalArgumentException(source + ": attention row " + i + " sums to " + sum
                        + " over the real positions, not 1 (does a padded key carry weight?)");
            }
        }
    }
}
