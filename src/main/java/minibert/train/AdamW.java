package minibert.train;

import minibert.model.checkpoint.Tensor;
import minibert.nn.Param;
import minibert.tensor.Fusion;
import minibert.tensor.Kernels;
import minibert.tensor.Pool;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter, "Decoupled weight decay regularization", 2019) over a model's parameters,
 * with bias correction, decoupled weight decay on weights and embeddings only (by {@link Param.Kind}), and the
 * gradient scaled by the clipping factor inside the same pass:
 *
 * <pre>
 * m ← β₁m + (1−β₁)g,   v ← β₂v + (1−β₂)g²,   m̂ = m/(1−β₁ᵗ),   v̂ = v/(1−β₂ᵗ)
 * θ ← θ − lr·( m̂/(√v̂ + ε) + λθ )          (λ = 0 for biases and LayerNorm parameters)
 * </pre>
 *
 * The moments m and v are allocated once, beside the parameters; a step allocates nothing.
 */
public final class AdamW {

    private final List<Param> params;
    private final double[][] m;              // first moments, one array per parameter
    private final double[][] v;              // second moments
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double weightDecay;
    private long step;                       // t, the number of steps taken
    private final int[] bySize;              // parameter indices, largest tensor first
    private final double[] sums;             // per parameter: Σ(Δθ)², Σθ² of the last fused step

    public AdamW(List<Param> params, double beta1, double beta2, double epsilon, double weightDecay) {
        this.params = List.copyOf(params);
        this.m = new double[params.size()][];
        this.v = new double[params.size()][];
        for (int i = 0; i < params.size(); i++) {
            m[i] = new double[params.get(i).size()];
            v[i] = new double[params.get(i).size()];
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
        this.bySize = java.util.stream.IntStream.range(0, params.size()).boxed()
                .sorted(java.util.Comparator.comparingInt((Integer i) -> -params.get(i).size()).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();
        this.sums = new double[2 * params.size()];
    }

    /**
     * One step on every parameter with its accumulated gradient scaled by {@code gradScale}.
     *
     * @param updateSquares receives each parameter's Σ(Δθ)², or null
     */
    // tag::step[]
    public void step(double learningRate, double gradScale, double[] updateSquares) {
        step++;                                              // t counts from 1: bias correction needs t ≥ 1
        for (int i = 0; i < params.size(); i++) {
            Param p = params.get(i);
            double decay = p.kind().decayed() ? weightDecay : 0;   // no decay on biases and LayerNorm
            double squares = Kernels.adamW(p.value().data, p.grad().data, gradScale, m[i], v[i], p.size(),
                    learningRate, beta1, beta2, epsilon, decay, step);
            if (updateSquares != null) {
                updateSquares[i] = squares;
            }
        }
    }
    // end::step[]

    /**
     * Σ g² of each parameter's gradient into {@code out} (one entry per parameter), the parameters split across the
     * {@link Pool}, the largest first: each sum is computed by one thread, in order, so which thread does not matter.
     */
    public void gradientSquares(double[] out) {
        if (Fusion.separatePasses()) {
            for (int i = 0; i < params.size(); i++) {
                out[i] = Kernels.sumOfSquares(params.get(i).grad().data, params.get(i).size());
            }
            return;
        }
        Pool.forEach(bySize.length, k -> {
            Param p = params.get(bySize[k]);
            out[bySize[k]] = Kernels.sumOfSquares(p.grad().data, p.size());
        });
    }

    /**
     * {@link #step}, fused with what a trainer does after it: one pass over each tensor updates θ, m and v, sums
     * (Δθ)² and the updated θ², and zeroes the gradient for the next step; the parameters split across the
     * {@link Pool}, the largest first (the word embeddings hold about half of them, so on two threads one takes
     * those and the other the rest). Every number is the one {@link #step}, a Σ θ² pass and zeroing would give.
     *
     * @param updateSquares receives each parameter's Σ(Δθ)². Modified.
     * @param valueSquares  receives each parameter's Σθ² after the update. Modified.
     */
    // tag::step-fused[]
    public void stepAndClear(double learningRate, double gradScale, double[] updateSquares, double[] valueSquares) {
        if (Fusion.separatePasses()) {
            step(learningRate, gradScale, updateSquares);
            for (int i = 0; i < params.size(); i++) {
                valueSquares[i] = Kernels.sumOfSquares(params.get(i).value().data, params.get(i).size());
                params.get(i).zeroGrad();
            }
            return;
        }
        long t = ++step;
        Pool.forEach(bySize.length, k -> {
            int i = bySize[k];
            Param p = params.get(i);
            double decay = p.kind().decayed() ? weightDecay : 0;
            Kernels.adamWAndClear(p.value().data, p.grad().data, gradScale, m[i], v[i], p.size(), learningRate, beta1,
                    beta2, epsilon, decay, t, sums, i);
        });
        for (int i = 0; i < params.size(); i++) {
            updateSquares[i] = sums[2 * i];
            valueSquares[i] = sums[2 * i + 1];
        }
    }
    // end::step-fused[]

    /** Steps taken so far (t). */
    public long steps() {
        return step;
    }

    /** The moments as tensors {@code exp_avg.NAME} and {@code exp_avg_sq.NAME} (PyTorch's names), copied. */
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            out.put("exp_avg." + params.get(i).name(), Tensor.of(params.get(i).hfShape(), m[i]));
        }
        for (int i = 0; i < params.size(); i++) {
            out.put("exp_avg_sq." + params.get(i).name(), Tensor.of(params.get(i).hfShape(), v[i]));
        }
        return out;
    }

    /** Restores moments saved by {@link #state} after {@code steps} steps; every tensor must be present with its shape. */
    public void restore(Map<String, Tensor> state, long steps) {
        for (int i = 0; i < params.size(); i++) {
            load(state, "exp_avg." + params.get(i).name(), params.get(i), m[i]);
            load(state, "exp_avg_sq." + params.get(i).name(), params.get(i), v[i]);
        }
        this.step = steps;
    }

    private static void load(Map<String, Tensor> state, String name, Param p, double[] into) {
        Tensor t = state.get(name);
        if (t == null) {
            throw new IllegalArgumentException("optimizer state has no tensor " + name);
        }
        if (!java.util.Arrays.equals(t.shape(), p.hfShape())) {
            throw new IllegalArgumentException("optimizer state: " + name + " is " + t.shapeText() + ", the model needs "
                    + java.util.Arrays.toString(p.hfShape()));
        }
        t.copyTo(into);
    }

    /** Entries held: two per parameter entry. */
    public long entries() {
        long n = 0;
        for (double[] a : m) {
            n += 2L * a.length;
        }
        return n;
    }
}
