package minibert.cli;

import minibert.data.DataStore;
import minibert.model.Batch;
import minibert.train.OverfitOneBatch;
import minibert.train.Pretraining;
import minibert.train.Seeds;
import minibert.train.Tally;
import minibert.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code minibert train}: pre-trains BERT with masked-language modelling on the config's corpus, into a run
 * directory that it resumes when run again.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Pre-train BERT (masked-language modelling) into a run directory; run it again to resume.",
                "Ctrl-C writes a checkpoint and stops (status 130); the next run continues exactly where it stopped.",
                "A write that fails (a full disk) stops the run with status 3, naming the checkpoint it resumes from."})
final class TrainCommand implements Callable<Integer> {

    /** Exit status of a run stopped by Ctrl-C (128 + SIGINT), after its checkpoint was written. */
    static final int INTERRUPTED = 130;
    /** Exit status of a run whose loss stopped being a number. */
    static final int DIVERGED = 3;

    @Spec
    CommandSpec spec;

    @Option(names = "--config", defaultValue = "configs/train/pretrain.yaml",
            description = "training config (default: ${DEFAULT-VALUE})")
    Path config;

    Path runDir = Path.of("runs/pretrain");

    @Option(names = "--run-dir", defaultValue = "runs/pretrain", description = "run directory (default: ${DEFAULT-VALUE})")
    void runDir(Path value) {
        runDir = Checks.outputFolder(spec, "--run-dir", value);
    }

    Long steps;

    @Option(names = "--steps", description = "stop after this step, at least 1 (the schedule still spans the config's "
            + "steps; run again to continue)")
    void steps(long value) {
        steps = Checks.between(spec, "--steps", value, 1, Integer.MAX_VALUE);
    }

    Path cacheDir = Path.of("data/cache");

    @Option(names = "--cache-dir", defaultValue = "data/cache",
            description = "where the tokenized corpus is cached (default: ${DEFAULT-VALUE})")
    void cacheDir(Path value) {
        cacheDir = Checks.outputFolder(spec, "--cache-dir", value);
    }

    Path vocab;

    @Option(names = "--vocab", description = "a vocab.txt, or a folder holding one, for a new run (default: the run's own, "
            + "trained if missing)")
    void vocab(Path value) {
        vocab = Checks.vocabulary(spec, "--vocab", value);
    }

    Integer keepCheckpoints;

    @Option(names = "--keep-checkpoints", description = "rolling checkpoints kept in the run directory, the newest "
            + "(default: the config's keep_checkpoints); not one of the run's settings, so a resumed run may change it")
    void keepCheckpoints(int value) {
        keepCheckpoints = Checks.between(spec, "--keep-checkpoints", value, 1, 1000);
    }

    @Option(names = "--precision", description = "float32 or float64 (default: the config's)")
    String precision;

    @Option(names = "--backend", description = "matrix products: vector, ejml or openblas (default: the config's)")
    String backend;

    @Option(names = "--checkpointing", description = "recompute each layer in the backward pass (less memory, more time)")
    boolean checkpointing;

    @Option(names = "--overfit-one-batch", description = "the sanity check: train on one fixed batch until its loss is below "
            + OverfitOneBatch.TARGET)
    boolean overfit;

    int overfitSteps = 500;

    @Option(names = "--overfit-steps", defaultValue = "500", description = "steps the check may take (default: ${DEFAULT-VALUE})")
    void overfitSteps(int value) {
        overfitSteps = Checks.between(spec, "--overfit-steps", value, 1, Integer.MAX_VALUE);
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        validate();
        Pretraining p = Pretraining.open(new Pretraining.Options(config, runDir, cacheDir, vocab, null,
                DataStore.fromEnvironment(), checkpointing, precision, backend), message -> {
            err.println(message);
            err.flush();
        });
        for (String line : p.description()) {
            out.println(line);
        }
        out.flush();
        if (overfit) {
            return overfit(p, out);
        }
        Progress progress = new Progress(err, System.console() != null, p.config().logEvery());
        Trainer trainer = p.trainer(progress);
        if (keepCheckpoints != null) {
            trainer.keepCheckpoints(keepCheckpoints);
        }
        long from = trainer.resume();
        long stopAt = steps == null ? p.config().steps() : Math.min(steps, p.config().steps());
        if (from >= stopAt) {
            out.printf(Locale.ROOT, "the run is at step %,d already (of %,d); nothing to do%n", from, p.config().steps());
            return 0;
        }
        out.printf(Locale.ROOT, "training steps %,d to %,d of %,d%n", from + 1, stopAt, p.config().steps());
        out.flush();
        installStop(trainer, err);
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        trainer.beginSegment(started, from);
        Trainer.Outcome outcome;
        try {
            outcome = trainer.run(stopAt);
        } catch (RuntimeException | java.io.IOException e) {
            progress.finish();
            try {
                trainer.recordSegment(Pretraining.segment(started, from, p.learner().steps(), (System.nanoTime() - t0) / 1e9,
                        "failed: " + e.getMessage()));
            } catch (RuntimeException second) {             // e.g. the disk is still full: say so, keep the first failure
                err.println("note: this invocation is not recorded in provenance.json either (" + second.getMessage() + ")");
                err.flush();
            }
            throw e;
        }
        progress.finish();
        trainer.recordSegment(Pretraining.segment(started, from, p.learner().steps(), (System.nanoTime() - t0) / 1e9,
                outcome.name().toLowerCase(Locale.ROOT)));
        double[] shares = trainer.timeShares();
        out.printf(Locale.ROOT, "%s at step %,d; time per step: %.1f%% data and masking, %.1f%% forward, backward and "
                        + "AdamW, %.1f%% logging%n", outcome.name().toLowerCase(Locale.ROOT), p.learner().steps(),
                100 * shares[0], 100 * shares[1], 100 * shares[2]);
        return switch (outcome) {
            case FINISHED, STOPPED -> 0;
            case INTERRUPTED -> INTERRUPTED;
            case DIVERGED -> DIVERGED;
        };
    }

    /** Checks that need more than one option, or a default that may not exist where --help is asked for. */
    private void validate() {
        if (!Files.isRegularFile(config)) {
            throw new ParameterException(spec.commandLine(), "--config: " + config + " does not exist");
        }
        if (precision != null && !precision.equals("float32") && !precision.equals("float64")) {
            throw new ParameterException(spec.commandLine(), "--precision must be float32 or float64, found '" + precision + "'");
        }
        if (backend != null && !backend.equals("vector") && !backend.equals("ejml") && !backend.equals("openblas")) {
            throw new ParameterException(spec.commandLine(), "--backend must be vector, ejml or openblas, found '" + backend + "'");
        }
    }

    /** Ctrl-C (and SIGTERM) ask the trainer to stop after the current step and write a checkpoint. */
    private static void installStop(Trainer trainer, PrintWriter err) {
        sun.misc.SignalHandler handler = signal -> {
            err.println();
            err.println("stopping after this step (" + signal.getName() + "); writing a checkpoint…");
            err.flush();
            trainer.requestStop();
        };
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), handler);
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), handler);
    }

    private int overfit(Pretraining p, PrintWriter out) {
        var cfg = p.config();
        int b = cfg.batchSize(), t = cfg.sequenceLength();
        Batch batch = new Batch(new int[b * t], new int[b * t], new int[b * t], new int[b * t], b, t);
        new minibert.train.BatchStream(p.trainCache(), Seeds.of(cfg.seed(), Seeds.SHUFFLE, 0)).fill(0, batch);
        int masked = p.masking().apply(Seeds.of(cfg.seed(), Seeds.MASKING, 0), batch);
        out.printf(Locale.ROOT, "overfitting one batch of %d × %d tokens (%d masked) at learning rate %.1e, no dropout%n",
                b, t, masked, cfg.learningRate());
        OverfitOneBatch.Result r = OverfitOneBatch.run(p.learner(), batch, overfitSteps, cfg.learningRate(), cfg.maxGradNorm());
        for (int i = 0; i < r.losses().size(); i += Math.max(1, r.losses().size() / 20)) {
            out.printf(Locale.ROOT, "  step %4d  loss %.4f%n", i, r.losses().get(i));
        }
        if (r.reached()) {
            out.printf(Locale.ROOT, "passed: the loss fell below %.1f at step %d (%.4f)%n", OverfitOneBatch.TARGET,
                    r.reachedAt(), r.losses().get(r.reachedAt()));
            return 0;
        }
        out.printf(Locale.ROOT, "FAILED: after %d steps the loss is %.4f, not below %.1f%n", overfitSteps,
                r.losses().get(r.losses().size() - 1), OverfitOneBatch.TARGET);
        return 1;
    }

    /** The progress bar: redrawn in place on a terminal, one line per log interval otherwise. */
    static final class Progress implements Trainer.Listener {
        private final PrintWriter err;
        private final boolean terminal;
        private final int every;
        private boolean drawn;

        Progress(PrintWriter err, boolean terminal, int every) {
            this.err = err;
            this.terminal = terminal;
            this.every = every;
        }

        @Override
        public void step(Trainer.StepReport r) {
            if (!terminal && r.step() % every != 0 && r.step() != r.stopAt()) {
                return;
            }
            int width = 24, filled = (int) (width * r.step() / Math.max(1, r.steps()));
            String line = String.format(Locale.ROOT,
                    "[%s%s] step %,d/%,d  loss %.3f  acc %.1f%%  |g| %.2f  lr %.2e  %,.0f tok/s  ETA %s",
                    "#".repeat(filled), " ".repeat(width - filled), r.step(), r.steps(), r.loss(), 100 * r.accuracy(),
                    r.gradientNorm(), r.learningRate(), r.tokensPerSecond(), duration(r.secondsLeft()));
            if (terminal) {
                err.print("\r" + line);
                drawn = true;
            } else {
                err.println(line);
            }
            err.flush();
        }

        @Override
        public void evaluated(long step, Tally heldOut) {
            newLine();
            err.printf(Locale.ROOT, "held-out at step %,d: loss %.3f, masked accuracy %.1f%%, perplexity %.1f%n", step,
                    heldOut.loss(), 100 * heldOut.accuracy(), heldOut.perplexity());
            err.flush();
        }

        @Override
        public void checkpointed(long step, Path folder) {
            newLine();
            err.println("checkpoint " + folder);
            err.flush();
        }

        @Override
        public void message(String text) {
            newLine();
            err.println(text);
            err.flush();
        }

        void finish() {
            newLine();
        }

        private void newLine() {
            if (drawn) {
                err.println();
                drawn = false;
            }
        }

        static String duration(double seconds) {
            if (!Double.isFinite(seconds)) {
                return "?";
            }
            long s = Math.round(seconds);
            return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                    : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
    }
}
