package minibert.train;

/**
 * The learning rate of each optimiser step: a linear warm-up from near zero to the peak over the first W
 * steps, then a linear decay toward zero at the last of N steps, as BERT's {@code optimization.py} (its
 * polynomial decay of power 1 with linear warm-up). Step s counts from 0:
 *
 * <pre>
 * lr(s) = peak · (s + 1) / W             s &lt; W
 * lr(s) = peak · (N − s) / (N − W)       W ≤ s &lt; N
 * </pre>
 *
 * Counting this way, no step runs at a learning rate of exactly zero (Hugging Face's linear schedule spends
 * its first step at zero), the warm-up ends exactly at the peak, and the last step takes 1/(N − W) of it.
 * Warm-up matters for Adam in particular: its second-moment estimate v rests on few gradients in the first
 * steps, so its step sizes are unreliable, and a small learning rate keeps them from doing harm.
 */
public record Schedule(double peak, int warmup, int steps) {

    public Schedule {
        if (steps < 1 || warmup < 0 || warmup > steps || !(peak > 0)) {
            throw new IllegalArgumentException("schedule needs 0 ≤ warmup ≤ steps, steps ≥ 1 and a positive peak; found peak "
                    + peak + ", warmup " + warmup + ", steps " + steps);
        }
    }

    // tag::rate[]
    public double learningRate(long step) {
        if (step < warmup) {
            return peak * (step + 1) / warmup;                     // linear warm-up
        }
        if (steps == warmup) {
            return peak;
        }
        return peak * Math.max(0, steps - step) / (steps - warmup); // linear decay
    }
    // end::rate[]
}
