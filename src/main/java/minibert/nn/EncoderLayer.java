package minibert.nn;

import org.ejml.data.DMatrixRMaj;

/**
 * One Transformer encoder layer, post-LayerNorm as in the original BERT:
 *
 * <pre>
 * h   = LN₁(x + Attention(x))        [B·T, H]
 * out = LN₂(h + FeedForward(h))      [B·T, H]
 * </pre>
 */
public final class EncoderLayer {

    private final SelfAttention attention;
    private final LayerNorm attentionNorm;
    private final FeedForward feedForward;
    private final LayerNorm outputNorm;

    /** @param prefix e.g. {@code bert.encoder.layer.0} */
    public EncoderLayer(String prefix, int hidden, int heads, int inner, String activation, double eps) {
        this.attention = new SelfAttention(prefix + ".attention", hidden, heads);
        this.attentionNorm = new LayerNorm(prefix + ".attention.output.LayerNorm", hidden, eps);
        this.feedForward = new FeedForward(prefix, hidden, inner, activation);
        this.outputNorm = new LayerNorm(prefix + ".output.LayerNorm", hidden, eps);
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

    // tag::forward[]
    public DMatrixRMaj forward(DMatrixRMaj x, int[] mask, int b, int t) {
        DMatrixRMaj a = attention.forward(x, mask, b, t);      // [B·T, H]
        SelfAttention.add(a, x);                               // residual: x + Attention(x)
        DMatrixRMaj h = attentionNorm.forward(a);              // [B·T, H]
        DMatrixRMaj f = feedForward.forward(h);                // [B·T, H]
        SelfAttention.add(f, h);                               // residual: h + FeedForward(h)
        return outputNorm.forward(f);                          // [B·T, H]
    }
    // end::forward[]

    /** The residual connections copy each gradient onto two paths, which meet again as a sum. */
    // tag::backward[]
    public DMatrixRMaj backward(DMatrixRMaj dOut) {
        DMatrixRMaj dSum2 = outputNorm.backward(dOut);         // d(h + FFN(h))
        DMatrixRMaj dh = feedForward.backward(dSum2);          // through FFN …
        SelfAttention.add(dh, dSum2);                          // … plus the residual path
        DMatrixRMaj dSum1 = attentionNorm.backward(dh);        // d(x + Attn(x))
        DMatrixRMaj dx = attention.backward(dSum1);            // through attention …
        SelfAttention.add(dx, dSum1);                          // … plus the residual path
        return dx;
    }
    // end::backward[]
}
