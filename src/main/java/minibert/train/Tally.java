package minibert.train;

/**
 * Running sums of the masked-language-model loss and accuracy over one or more batches: the loss summed
 * over masked tokens (each batch contributes M·L, its mean times its count), the masked tokens, and those
 * predicted right. Precision-neutral: both models add to it.
 */
public final class Tally {

    private double lossSum;
    private long masked;
    private long correct;
    private long batches;

    /** Adds one batch's outcome: its mean loss over {@code masked} tokens, of which {@code correct} were predicted right. */
    public void add(double meanLoss, int masked, int correct) {
        this.lossSum += meanLoss * masked;
        this.masked += masked;
        this.correct += correct;
        this.batches++;
    }

    /** The mean cross-entropy per masked token (NaN before any masked token). */
    public double loss() {
        return masked == 0 ? Double.NaN : lossSum / masked;
    }

    /** The share of masked tokens predicted right (NaN before any). */
    public double accuracy() {
        return masked == 0 ? Double.NaN : (double) correct / masked;
    }

    /** exp(loss): the perplexity over masked tokens. */
    public double perplexity() {
        return Math.exp(loss());
    }

    public long masked() {
        return masked;
    }

    public long correct() {
        return correct;
    }

    public long batches() {
        return batches;
    }

    public void clear() {
        lossSum = 0;
        masked = 0;
        correct = 0;
        batches = 0;
    }
}
