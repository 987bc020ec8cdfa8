package minibert.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import minibert.config.TrainConfig;
import minibert.model.Batch;
import minibert.nn.MlmHead;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * The pre-training loop, in the order nanoGPT's {@code train.py} keeps it: for each optimiser step, the
 * learning rate from the schedule; the micro-batches (data, masking, then forward and backward, each weighted
 * by its share of the step's masked tokens); clipping and the AdamW step; then, every so many steps, a log
 * line, an evaluation on fixed held-out batches, and a checkpoint.
 *
 * <p>Every random choice is a pure function of the run's seed and the step: which sequences batch k holds
 * ({@link BatchStream}), which tokens are masked ({@link Seeds#MASKING}), which activations are dropped
 * ({@link Seeds#DROPOUT}). A checkpoint therefore needs no generator state: the step number is the data
 * position, and a resumed run continues exactly as an uninterrupted one would, bit for bit.
 */
public final class Trainer {

    /** How a run ended. */
    public enum Outcome {
        /** Every step of the schedule ran. */
        FINISHED,
        /** The requested stopping step was reached before the end of the schedule. */
        STOPPED,
        /** A stop was requested (Ctrl-C); a checkpoint was written. */
        INTERRUPTED,
        /** The loss or the gradient stopped being a finite number; nothing was saved after the last good checkpoint. */
        DIVERGED
    }

    /** Where the trainer reports; the command line prints, the book records, tests collect. Nothing here prints. */
    public interface Listener {
        /** After every step. */
        default void step(StepReport report) {
        }

        /** After each held-out evaluation. */
        default void evaluated(long step, Tally heldOut) {
        }

        /** After each checkpoint. */
        default void checkpointed(long step, Path folder) {
        }

        /** A line of news (resumed from, stopped because). */
        default void message(String text) {
        }
    }

    /**
     * One step as the progress bar shows it.
     *
     * @param step          steps completed (1 after the first)
     * @param steps         the schedule's length
     * @param stopAt        the step this invocation stops at
     * @param loss          this step's mean loss per masked token
     * @param accuracy      this step's masked accuracy
     * @param gradientNorm  the global gradient norm before clipping
     * @param learningRate  the rate of this step
     * @param tokensPerSecond tokens (B·T per micro-batch) per second of wall time since this invocation began
     * @param secondsLeft   the estimated time to {@code stopAt}
     */
    public record StepReport(long step, long steps, long stopAt, double loss, double accuracy, double gradientNorm,
                             double learningRate, double tokensPerSecond, double secondsLeft) {
    }

    private final TrainConfig config;
    private final Learner learner;
    private final BatchStream train;
    private final PretrainingCache heldOut;
    private final Masking masking;
    private final RunDirectory run;
    private final Listener listener;
    private final Schedule schedule;
    private final String vocabularySha256;
    private final String settingsSha256;
    private final String backend;
    private final int threads;
    private volatile boolean stopRequested;
    private int keepCheckpoints;                          // the config's, unless the command line says otherwise
    private double trainingSeconds;
    private long lastCheckpoint = -1;
    private java.time.Instant segmentStarted;            // this invocation's segment, once begun (the command line)
    private long segmentFrom, segmentT0;
    private boolean segmentWritten;                      // provenance.json holds it already, as "running"

    // time spent per part, for the step's breakdown
    private long dataNanos;
    private long computeNanos;
    private long otherNanos;
    private long timedSteps;

    public Trainer(TrainConfig config, Learner learner, BatchStream train, PretrainingCache heldOut, Masking masking,
                   RunDirectory run, String vocabularySha256, String settingsSha256, String backend, int threads,
                   Listener listener) {
        this.config = config;
        this.learner = learner;
        this.train = train;
        this.heldOut = heldOut;
        this.masking = masking;
        this.run = run;
        this.listener = listener;
        this.schedule = new Schedule(config.learningRate(), config.warmupSteps(), config.steps());
        this.vocabularySha256 = vocabularySha256;
        this.settingsSha256 = settingsSha256;
        this.backend = backend;
        this.threads = threads;
        this.keepCheckpoints = config.keepCheckpoints();
    }

    /**
     * Keeps the newest {@code keep} rolling checkpoints from now on, in place of the config's
     * {@code keep_checkpoints}. Retention is not one of the run's settings (it changes nothing a step computes),
     * so a run may be resumed with another count; the next checkpoint prunes to it.
     *
     * @throws IllegalArgumentException if {@code keep} is below 1
     */
    public Trainer keepCheckpoints(int keep) {
        if (keep < 1) {
            throw new IllegalArgumentException("keep at least one checkpoint, not " + keep);
        }
        this.keepCheckpoints = keep;
        return this;
    }

    /** Asks the loop to stop after the current step, writing a checkpoint (a signal handler calls this). */
    public void requestStop() {
        stopRequested = true;
    }

    /** The wall time of training so far, over every segment of the run. */
    public double trainingSeconds() {
        return trainingSeconds;
    }

    /**
     * Resumes from the newest checkpoint, if there is one; returns the step it continues from (0 for a new run).
     * What an interrupted invocation left behind (a checkpoint folder half written or half deleted, a temporary
     * file) is removed first, and said; the metrics log is trimmed back to the checkpoint's step.
     */
    public long resume() throws IOException {
        for (Path p : run.removeInterruptedWrites()) {
            listener.message("removed " + p + ", left by an invocation that was stopped while writing it");
        }
        var steps = run.checkpointSteps();
        if (steps.isEmpty()) {
            trimmed(run.truncateMetrics(0));
            return 0;
        }
        long step = steps.get(steps.size() - 1);
        RunDirectory.Saved saved = run.loadCheckpoint(step);
        RunDirectory.State s = saved.state();
        saved.requireContinues(stateAt(step));
        if (s.threads() != threads) {
            listener.message("note: the checkpoint was written with " + s.threads() + " threads, this run has " + threads
                    + "; weight-gradient sums split by threads then round differently, so the run stays exact only "
                    + "with the same count");
        }
        try {
            learner.restore(saved.weights(), saved.optimizer(), s.step());
        } catch (IllegalArgumentException e) {      // the model config and the checkpoint's tensors disagree
            throw new RunDirectory.RunException(saved.folder() + ": " + e.getMessage());
        }
        trainingSeconds = s.trainingSeconds();
        lastCheckpoint = step;
        trimmed(run.truncateMetrics(step));
        listener.message("resumed from " + saved.folder() + " (step " + step + ")");
        return step;
    }

    private void trimmed(RunDirectory.Trim trim) {
        if (trim.cut()) {
            listener.message("dropped the last line of " + run.metrics() + ": it was cut short when the run stopped");
        }
    }

    /** The state of a checkpoint after {@code step} steps of this run (its time: so far). */
    private RunDirectory.State stateAt(long step) {
        long a = config.gradientAccumulation(), b = config.batchSize();
        return new RunDirectory.State(RunDirectory.FORMAT, step, step * a * b, step * a * b * config.sequenceLength(),
                config.seed(), learner.precision(), backend, threads, settingsSha256, vocabularySha256, trainingSeconds);
    }

    /**
     * Trains from the learner's current step until {@code stopAt} (at most the schedule's length), a stop
     * request, or divergence.
     */
    // tag::loop[]
    public Outcome run(long stopAt) throws IOException {
        int a = config.gradientAccumulation(), b = config.batchSize(), t = config.sequenceLength();
        Batch[] micro = new Batch[a];
        for (int i = 0; i < a; i++) {
            micro[i] = emptyBatch(b, t);
        }
        int[] masked = new int[a];
        Tally stepTally = new Tally(), window = new Tally();
        UpdateReport report = new UpdateReport();
        long start = System.nanoTime(), startStep = learner.steps();
        stopAt = Math.min(stopAt, config.steps());
        double windowNorm = 0;
        while (learner.steps() < stopAt) {
            long step = learner.steps(), t0 = System.nanoTime();
            int total = 0;
            for (int i = 0; i < a; i++) {                          // data and masking
                train.fill((step * a + i) * b, micro[i]);
                masked[i] = masking.apply(Seeds.of(config.seed(), Seeds.MASKING, step * a + i), micro[i]);
                total += masked[i];
            }
            long t1 = System.nanoTime();
            stepTally.clear();
            for (int i = 0; i < a; i++) {                          // forward and backward, weighted by masked share
                double share = total == 0 ? 0 : (double) masked[i] / total;
                learner.accumulate(new MicroBatch(micro[i], Seeds.of(config.seed(), Seeds.DROPOUT, step * a + i), share, true),
                        stepTally);
            }
            double lr = schedule.learningRate(step);
            learner.update(new Update(lr, config.maxGradNorm()), report);   // clip, AdamW, zero the gradients
            long t2 = System.nanoTime();
            if (!Double.isFinite(stepTally.loss()) && stepTally.masked() > 0 || !Double.isFinite(report.gradientNorm())) {
                diverged(step, stepTally, report, a, b);
                return Outcome.DIVERGED;
            }
            window.add(stepTally.loss(), (int) stepTally.masked(), (int) stepTally.correct());
            windowNorm += report.gradientNorm();
            long done = learner.steps();
            double elapsed = (System.nanoTime() - start) / 1e9;
            double perStep = elapsed / (done - startStep);
            listener.step(new StepReport(done, config.steps(), stopAt, stepTally.loss(), stepTally.accuracy(),
                    report.gradientNorm(), lr, (done - startStep) * (double) a * b * t / elapsed, perStep * (stopAt - done)));
            boolean end = done == config.steps();   // log and evaluate on the cadence only, so a resumed run's log
            if (done % config.logEvery() == 0 || end) {                // reads as one run's

                log(done, window, windowNorm / window.batches(), lr, report, (done - startStep) * (double) a * b * t / elapsed);
                window.clear();
                windowNorm = 0;
            }
            long t3 = System.nanoTime();
            dataNanos += t1 - t0;
            computeNanos += t2 - t1;
            otherNanos += t3 - t2;
            timedSteps++;
            trainingSeconds += (t3 - t0) / 1e9;
            if (done % config.evalEvery() == 0 || end) {
                evaluate(done);
            }
            if (done % config.checkpointEvery() == 0 || done == stopAt) {
                checkpoint(done);
            }
            if (stopRequested && done < stopAt) {
                checkpoint(done);
                listener.message("stopped at step " + done + " on request; the checkpoint is written; run the same "
                        + "command again to resume");
                return Outcome.INTERRUPTED;
            }
        }
        return learner.steps() >= config.steps() ? Outcome.FINISHED : Outcome.STOPPED;
    }
    // end::loop[]

    /** Evaluates on the first {@code eval_batches} batches of the held-out split, masked with fixed seeds. */
    public Tally evaluate(long step) throws IOException {
        Tally tally = evaluateHeldOut(learner, heldOut, masking, config);
        appendMetrics(String.format(Locale.ROOT,
                "{\"kind\":\"eval\",\"step\":%d,\"loss\":%s,\"accuracy\":%s,\"perplexity\":%s,\"masked\":%d}",
                step, num(tally.loss()), num(tally.accuracy()), num(tally.perplexity()), tally.masked()));
        listener.evaluated(step, tally);
        return tally;
    }

    /**
     * The held-out evaluation: the same sequences (the first eval_batches·B, in the cache's order) masked with
     * the same seeds every time, so that its numbers compare across steps, runs and checkpoints.
     */
    public static Tally evaluateHeldOut(Learner learner, PretrainingCache heldOut, Masking masking, TrainConfig config) {
        int b = config.batchSize(), t = config.sequenceLength();
        Batch batch = emptyBatch(b, t);
        Tally tally = new Tally();
        for (int k = 0; k < config.evalBatches(); k++) {
            for (int row = 0; row < b; row++) {
                heldOut.read((int) (((long) k * b + row) % heldOut.size()), batch.inputIds(), batch.tokenTypes(),
                        batch.attentionMask(), row);
            }
            Arrays.fill(batch.labels(), MlmHead.IGNORE);
            masking.apply(Seeds.of(config.seed(), Seeds.EVALUATION, k), batch);
            learner.evaluate(batch, tally);
        }
        return tally;
    }

    private void checkpoint(long step) throws IOException {
        if (step == lastCheckpoint) {
            return;
        }
        Path folder;
        try {
            folder = run.saveCheckpoint(learner, stateAt(step), keepCheckpoints);
        } catch (IOException e) {
            throw failed("cannot write the checkpoint " + run.checkpoint(step), e,
                    "its temporary folder is removed and the checkpoints before it are as they were");
        }
        lastCheckpoint = step;
        recordRunningSegment(step);
        listener.checkpointed(step, folder);
        if (RunDirectory.MILESTONES.contains(step)) {
            try {
                listener.message("kept the weights of step " + step + " for good in " + run.keepMilestone(step));
            } catch (IOException e) {
                throw failed("cannot keep the weights of step " + step + " in " + run.milestone(step), e,
                        "its temporary folder is removed");
            }
        }
    }

    /**
     * A write that failed, said once: what could not be written and why, what was cleaned up, and the newest
     * complete checkpoint, which the next invocation resumes from.
     */
    private RunDirectory.WriteFailure failed(String what, IOException e, String cleanedUp) {
        String newest;
        try {
            var steps = run.checkpointSteps();
            newest = steps.isEmpty() ? "there is none yet, so the next run starts from the beginning"
                    : "the last good checkpoint is " + run.checkpoint(steps.get(steps.size() - 1)) + " (step "
                    + steps.get(steps.size() - 1) + "), which the same command resumes from";
        } catch (IOException second) {
            newest = "the checkpoints cannot be listed either (" + RunDirectory.cause(second) + ")";
        }
        return new RunDirectory.WriteFailure(what + ": " + RunDirectory.cause(e) + "; " + cleanedUp + "; " + newest
                + " once the cause is fixed", e);
    }

    private void diverged(long step, Tally tally, UpdateReport report, int a, int b) {
        long first = step * a * b, last = (step + 1) * a * b - 1;
        String lastGood = lastCheckpoint < 0 ? "none (the run has no checkpoint yet)" : run.checkpoint(lastCheckpoint).toString();
        listener.message(String.format(Locale.ROOT, "stopped: at step %d the loss is %s and the gradient norm %s; "
                        + "the batch held stream positions %d…%d; the last good checkpoint is %s", step + 1,
                num(tally.loss()), num(report.gradientNorm()), first, last, lastGood));
    }

    private void log(long step, Tally window, double meanNorm, double lr, UpdateReport report, double tokensPerSecond)
            throws IOException {
        StringBuilder groups = new StringBuilder();
        for (Map.Entry<String, UpdateReport.Group> g : report.groups().entrySet()) {
            groups.append(groups.isEmpty() ? "" : ",").append(String.format(Locale.ROOT,
                    "\"%s\":{\"grad_norm\":%s,\"update_ratio\":%s,\"weight_norm\":%s}", g.getKey(),
                    num(g.getValue().gradientNorm()), num(g.getValue().updateRatio()), num(g.getValue().weightNorm())));
        }
        appendMetrics(String.format(Locale.ROOT,
                "{\"kind\":\"train\",\"step\":%d,\"tokens\":%d,\"loss\":%s,\"accuracy\":%s,\"grad_norm\":%s,"
                        + "\"clip\":%s,\"lr\":%s,\"tokens_per_s\":%s,\"seconds\":%s,\"groups\":{%s}}",
                step, step * config.gradientAccumulation() * config.batchSize() * config.sequenceLength(),
                num(window.loss()), num(window.accuracy()), num(meanNorm), num(report.clipFactor()), num(lr),
                num(tokensPerSecond), num(trainingSeconds), groups));
    }

    private void appendMetrics(String line) {
        try {
            run.appendMetrics(line);
        } catch (IOException e) {
            throw failed("cannot append to " + run.metrics(), e, "the log is cut back to its last complete line");
        }
    }

    /** Shares of the step's wall time so far: data and masking, forward-backward-optimiser, the rest (logging). */
    public double[] timeShares() {
        double total = dataNanos + computeNanos + otherNanos;
        return total == 0 ? new double[3] : new double[] {dataNanos / total, computeNanos / total, otherNanos / total};
    }

    /** Steps timed by {@link #timeShares()}. */
    public long timedSteps() {
        return timedSteps;
    }

    /**
     * Begins this invocation's segment: from now on each checkpoint also writes it into provenance.json, marked
     * {@code running}, so that a process killed outright leaves its segment recorded up to its last checkpoint;
     * {@link #recordSegment} then replaces it with the finished one.
     */
    public void beginSegment(java.time.Instant started, long fromStep) {
        segmentStarted = started;
        segmentFrom = fromStep;
        segmentT0 = System.nanoTime();
    }

    /** Writes the segment this invocation ran into provenance.json (in place of its running record, if any). */
    public void recordSegment(ObjectNode segment) {
        writeSegment(segment, false);
        segmentStarted = null;
    }

    /** The running segment, up to the checkpoint of {@code step}, into provenance.json. */
    private void recordRunningSegment(long step) {
        if (segmentStarted != null) {
            writeSegment(Pretraining.segment(segmentStarted, segmentFrom, step, (System.nanoTime() - segmentT0) / 1e9,
                    "running: recorded at the checkpoint of step " + step + " (a segment still marked running ended "
                            + "without recording its end)"), true);
        }
    }

    private void writeSegment(ObjectNode segment, boolean running) {
        ObjectNode p = run.readProvenance();
        var segments = p.withArray("segments");
        if (segmentWritten && !segments.isEmpty()) {
            segments.remove(segments.size() - 1);
        }
        segments.add(segment);
        try {
            run.writeProvenance(p);
        } catch (IOException e) {
            throw failed("cannot write " + run.provenance(), e, "the file is as it was before ("
                    + (segmentWritten ? "with this invocation's segment as of its previous checkpoint" : "without this invocation's segment") + ")");
        }
        segmentWritten = running;
    }

    static Batch emptyBatch(int b, int t) {
        return new Batch(new int[b * t], new int[b * t], new int[b * t], new int[b * t], b, t);
    }

    /** A JSON number, or null for NaN and infinities (which JSON cannot hold). */
    static String num(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : "null";
    }

    static UncheckedIOException unchecked(IOException e) {
        return new UncheckedIOException(e);
    }
}
