package minibert.nn;

import minibert.tensor.Products;
import org.ejml.data.DMatrixRMaj;

import static minibert.nn.StepProfile.Op.RESIDUAL_NORM;
import static minibert.nn.StepProfile.lap;

/**
 * One Transformer encoder layer, post-LayerNorm as in the original BERT, with dropout on each block's
 * output before its residual sum:
 *
 * <pre>
 * h   = LN₁(x + dropout(Attention(x)))        [B·T, H]
 * out = LN₂(h + dropout(FeedForward(h)))      [B·T, H]
 * </pre>
 */
public final class EncoderLayer {

    /** What backward needs of one forward pass of this layer on B sequences of T tokens. */
    public static final class Activations {
        final SelfAttention.Activations attention;
        final DMatrixRMaj attentionMask;     // dropout multipliers on Attention(x) [B·T, H]
        final DMatrixRMaj sum;               // x + dropout(Attention(x)), then h + dropout(FFN(h)) [B·T, H]
        final LayerNorm.Activations attentionNorm;
        final DMatrixRMaj h;                 // [B·T, H]
        final FeedForward.Activations feedForward;
        final DMatrixRMaj feedForwardMask;   // dropout multipliers on FeedForward(h) [B·T, H]
        final LayerNorm.Activations outputNorm;
        final DMatrixRMaj out;               // the layer's output [B·T, H]
        boolean droppedOut;                  // whether the last forward pass applied dropout

        public Activations(int batch, int length, int hidden, int heads, int inner) {
            int n = batch * length;
            attention = new SelfAttention.Activations(batch, length, hidden, heads);
            attentionMask = new DMatrixRMaj(n, hidden);
            sum = new DMatrixRMaj(n, hidden);
            attentionNorm = new LayerNorm.Activations(n, hidden);
            h = new DMatrixRMaj(n, hidden);
            feedForward = new FeedForward.Activations(n, inner);
            feedForwardMask = new DMatrixRMaj(n, hidden);
            outputNorm = new LayerNorm.Activations(n, hidden);
            out = new DMatrixRMaj(n, hidden);
        }

        /** The layer's output of the last forward pass [B·T, H]. */
        public DMatrixRMaj output() {
            return out;
        }

        public SelfAttention.Activations attention() {
            return attention;
        }

        public FeedForward.Activations feedForward() {
            return feedForward;
        }

        /** h = LN₁(x + Attention(x)) of the last forward pass [B·T, H]. */
        public DMatrixRMaj afterAttention() {
            return h;
        }

        /** LN₁'s record (x̂ of x + Attention(x)) of the last forward pass. */
        public LayerNorm.Activations attentionNorm() {
            return attentionNorm;
        }

        /** h + FeedForward(h), the input of LN₂, of the last forward pass [B·T, H]. */
        public DMatrixRMaj beforeOutputNorm() {
            return sum;
        }

        /** LN₂'s record (x̂ of h + FeedForward(h)) of the last forward pass. */
        public LayerNorm.Activations outputNorm() {
            return outputNorm;
        }
    }

    /** Scratch of the backward pass, shared by every layer (llm.c's activation gradients). */
    public static final class Gradients {
        final DMatrixRMaj dSum;              // [B·T, H]
        final DMatrixRMaj dBranch;           // a block's output gradient, after dropout's backward [B·T, H]
        final DMatrixRMaj dInner;            // [B·T, I]
        final SelfAttention.Gradients attention;

        public Gradients(int batch, int length, int hidden, int heads, int inner) {
            int n = batch * length;
            dSum = new DMatrixRMaj(n, hidden);
            dBranch = new DMatrixRMaj(n, hidden);
            dInner = new DMatrixRMaj(n, inner);
            attention = new SelfAttention.Gradients(batch, length, hidden, heads);
        }
    }

    private final SelfAttention attention;
    private final LayerNorm attentionNorm;
    private final FeedForward feedForward;
    private final LayerNorm outputNorm;
    private final Dropout attentionDropout;
    private final Dropout feedForwardDropout;

    /**
     * @param prefix e.g. {@code bert.encoder.layer.0}
     * @param site   the first of the four dropout sites this layer numbers (attention weights, attention
     *               output, feed-forward output)
     */
    public EncoderLayer(String prefix, int hidden, int heads, int inner, String activation, double eps,
                        double hiddenDropout, double attentionDropout, int site, Products products) {
        this.attention = new SelfAttention(prefix + ".attention", hidden, heads, new Dropout(site, attentionDropout), products);
        this.attentionNorm = new LayerNorm(prefix + ".attention.output.LayerNorm", hidden, eps);
        this.feedForward = new FeedForward(prefix, hidden, inner, activation, products);
        this.outputNorm = new LayerNorm(prefix + ".output.LayerNorm", hidden, eps);
        this.attentionDropout = new Dropout(site + 1, hiddenDropout);
        this.feedForwardDropout = new Dropout(site + 2, hiddenDropout);
    }

    public SelfAttention attention() {
        return attention;
    }

    public LayerNorm attentionNorm() {
        return attentionNorm;
    }

    public FeedForward feedForward() {
        return feedForward;
    }

    public LayerNorm outputNorm() {
        return outputNorm;
    }

    /**
     * @param x    input [B·T, H]. Not modified.
     * @param mask 1 for real tokens, 0 for padding [B·T]. Not modified.
     * @param pass training or inference
     * @param acts everything backward needs; the output is {@code acts.output()}. Modified.
     */
    // tag::forward[]
    public void forward(DMatrixRMaj x, int[] mask, Pass pass, Activations acts) {
        int n = x.getNumElements();
        acts.droppedOut = attentionDropout.active(pass);
        attention.forward(x, mask, pass, acts.attention, acts.sum);           // a = Attention(x)
        // h = LN₁(x + dropout(a)): the residual sum and the LayerNorm in one pass
        attentionNorm.forward(acts.sum, dropoutMask(acts.attentionMask, attentionDropout, pass, n), x, acts.attentionNorm, acts.h);
        lap(RESIDUAL_NORM);
        feedForward.forward(acts.h, acts.feedForward, acts.sum);              // f = FFN(h)
        // out = LN₂(h + dropout(f))
        outputNorm.forward(acts.sum, dropoutMask(acts.feedForwardMask, feedForwardDropout, pass, n), acts.h, acts.outputNorm, acts.out);
        lap(RESIDUAL_NORM);
    }
    // end::forward[]

    /** Draws this pass's dropout multipliers into {@code mask} and returns them, or null when the pass drops nothing. */
    private static double[] dropoutMask(DMatrixRMaj mask, Dropout dropout, Pass pass, int n) {
        if (!dropout.active(pass)) {
            return null;
        }
        dropout.mask(pass, mask.data, n);
        return mask.data;
    }

    /**
     * The residual connections copy each gradient onto two paths, which meet again as a sum: each block's
     * backward pass adds its input gradient onto the gradient the residual path already carries.
     *
     * @param x    the forward pass's input [B·T, H]. Not modified.
     * @param acts what the forward pass kept. Not modified.
     * @param dOut gradient with respect to the output [B·T, H]. Not modified.
     * @param dx   gradient with respect to x [B·T, H]. Modified (written); may not be dOut.
     * @param g    scratch. Modified.
     */
    // tag::backward[]
    public void backward(DMatrixRMaj x, Activations acts, DMatrixRMaj dOut, DMatrixRMaj dx, Gradients g) {
        outputNorm.backward(acts.outputNorm, dOut, g.dSum);                  // d(h + dropout(f)), written
        branch(g.dSum, acts.feedForwardMask, acts.droppedOut, g.dBranch);     // df = dSum ⊙ mask
        lap(RESIDUAL_NORM);
        feedForward.backward(acts.h, acts.feedForward, g.dBranch, g.dSum, g.dInner); // dh = dSum + FFN'ᵀ·df
        attentionNorm.backward(acts.attentionNorm, g.dSum, dx);              // d(x + dropout(a)), written
        branch(dx, acts.attentionMask, acts.droppedOut, g.dBranch);           // da = dx ⊙ mask
        lap(RESIDUAL_NORM);
        attention.backward(x, acts.attention, g.dBranch, dx, g.attention);   // dx += Attention'ᵀ·da
    }
    // end::backward[]

    /** The gradient entering a block from its sum: through dropout's mask, or a copy without dropout. */
    private static void branch(DMatrixRMaj dSum, DMatrixRMaj mask, boolean dropped, DMatrixRMaj dBranch) {
        if (dropped) {
            Dropout.apply(dSum.data, mask.data, dBranch.data, dSum.getNumElements());
        } else {
            System.arraycopy(dSum.data, 0, dBranch.data, 0, dSum.getNumElements());
        }
    }
}
