package minibert.train;

import minibert.config.ModelConfig;
import minibert.config.TrainConfig;
import minibert.model.Batch;
import minibert.model.BertForMaskedLM;
import minibert.model.checkpoint.Tensor;
import minibert.nn.Param;
import minibert.nn.Pass;
import minibert.nn.StepProfile;
import minibert.tensor.Kernels;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * BERT and AdamW, in double precision, as the {@link Trainer} drives them; {@code minibert.train.f32.BertLearner}
 * is the same text in float32, generated. It owns the activation records (one for training, allocated for the
 * first batch shape it sees, one for evaluation) and the optimiser state, so that a training step allocates
 * nothing once the first one has run.
 */
public final class BertLearner implements Learner {

    private final BertForMaskedLM model;
    private final AdamW optimizer;
    private final List<Param> params;
    private final String[] groups;           // each parameter's group in the update report
    private final double[] gradientSquares;  // per parameter, of the last update
    private final double[] updateSquares;
    private final double[] valueSquares;
    private final boolean checkpointing;
    private BertForMaskedLM.Activations train;
    private BertForMaskedLM.Activations eval;
    private final long[] phases = new long[3];  // forward, backward, optimiser: nanoseconds

    /**
     * @param checkpointing whether training passes keep only each layer's input and recompute the layer in
     *                      the backward pass (activation checkpointing)
     */
    public BertLearner(BertForMaskedLM model, TrainConfig config, boolean checkpointing) {
        this.model = model;
        this.params = model.parameters();
        this.optimizer = new AdamW(params, config.beta1(), config.beta2(), config.epsilon(), config.weightDecay());
        this.groups = new String[params.size()];
        for (int i = 0; i < groups.length; i++) {
            groups[i] = UpdateReport.groupOf(params.get(i).name());
        }
        this.gradientSquares = new double[params.size()];
        this.updateSquares = new double[params.size()];
        this.valueSquares = new double[params.size()];
        this.checkpointing = checkpointing;
    }

    public BertForMaskedLM model() {
        return model;
    }

    @Override
    public String precision() {
        return "float" + Double.SIZE;
    }

    @Override
    public int bytesPerEntry() {
        return Double.BYTES;
    }

    @Override
    public ModelConfig config() {
        return model.config();
    }

    // tag::accumulate[]
    @Override
    public void accumulate(MicroBatch micro, Tally tally) {
        Batch batch = micro.batch();
        BertForMaskedLM.Activations acts = trainingRecord(batch);
        Pass pass = micro.dropout() ? Pass.training(micro.dropoutSeed()) : Pass.INFERENCE;
        long t0 = System.nanoTime();
        double loss = model.forward(batch, acts, pass);
        long t1 = System.nanoTime();
        model.backward(batch, acts, micro.lossScale());          // gradients += ∂(s·L)/∂θ
        phases[0] += t1 - t0;
        phases[1] += System.nanoTime() - t1;
        tally.add(loss, acts.head().masked(), acts.head().correct());
    }
    // end::accumulate[]

    @Override
    public long[] phaseNanos() {
        return phases.clone();
    }

    @Override
    public void evaluate(Batch batch, Tally tally) {
        if (eval == null || eval.batch() != batch.batch() || eval.length() != batch.length()) {
            eval = model.activations(batch.batch(), batch.length());
        }
        double loss = model.forward(batch, eval, Pass.INFERENCE);
        tally.add(loss, eval.head().masked(), eval.head().correct());
    }

    private BertForMaskedLM.Activations trainingRecord(Batch batch) {
        if (train == null || train.batch() != batch.batch() || train.length() != batch.length()) {
            train = checkpointing ? model.checkpointedActivations(batch.batch(), batch.length())
                    : model.activations(batch.batch(), batch.length());
        }
        return train;
    }

    /**
     * Global-norm clipping as PyTorch's {@code clip_grad_norm_}: the gradient is scaled by
     * min(1, max_norm / (‖g‖ + 10⁻⁶)), inside the AdamW pass; then the gradient is zeroed for the next step.
     */
    // tag::update[]
    @Override
    public void update(Update update, UpdateReport report) {
        long t0 = System.nanoTime();
        optimizer.gradientSquares(gradientSquares);                // Σ g² of each parameter
        double squares = 0;
        for (double s : gradientSquares) {
            squares += s;                                          // in parameter order, whatever the threads
        }
        double norm = Math.sqrt(squares);                          // ‖g‖ over every parameter
        double maxNorm = update.maxGradNorm();
        double clip = maxNorm > 0 ? Math.min(1, maxNorm / (norm + 1e-6)) : 1;
        StepProfile.lap(StepProfile.Op.NORMS);
        // the update, Σ(Δθ)² and Σθ² for the report, and the gradients zeroed for the next step, in one pass
        optimizer.stepAndClear(update.learningRate(), clip, updateSquares, valueSquares);
        StepProfile.lap(StepProfile.Op.ADAMW);
        report.clear();
        report.setGlobal(norm, clip);
        for (int i = 0; i < params.size(); i++) {
            report.add(groups[i], gradientSquares[i], updateSquares[i], valueSquares[i]);
        }
        StepProfile.lap(StepProfile.Op.NORMS);
        phases[2] += System.nanoTime() - t0;
    }
    // end::update[]

    @Override
    public long steps() {
        return optimizer.steps();
    }

    @Override
    public Map<String, Tensor> weights() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Param p : params) {
            out.put(p.name(), Tensor.of(p.hfShape(), p.value().data));
        }
        return out;
    }

    @Override
    public Map<String, Tensor> optimizerState() {
        return optimizer.state();
    }

    @Override
    public void restore(Map<String, Tensor> weights, Map<String, Tensor> optimizerState, long steps) {
        for (Param p : params) {
            Tensor t = weights.get(p.name());
            if (t == null) {
                throw new IllegalArgumentException("the saved weights have no tensor " + p.name());
            }
            if (!Arrays.equals(t.shape(), p.hfShape())) {
                throw new IllegalArgumentException("saved tensor " + p.name() + " is " + t.shapeText() + ", the model needs "
                        + Arrays.toString(p.hfShape()));
            }
            t.copyTo(p.value().data);
            p.zeroGrad();
        }
        optimizer.restore(optimizerState, steps);
    }

    @Override
    public long bufferEntries() {
        long n = optimizer.entries();
        for (Param p : params) {
            n += 2L * p.size();                                     // value and gradient
        }
        n += train == null ? 0 : train.entries();
        n += eval == null ? 0 : eval.entries();
        return n;
    }
}
