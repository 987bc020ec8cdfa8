package minibert.cli;

import minibert.config.EvalConfig;
import minibert.data.DataStore;
import minibert.eval.Evaluation;
import minibert.eval.EvaluationReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code minibert evaluate CHECKPOINT_OR_RUN_DIR}: masked-LM accuracy and perplexity, the POS probe, SST-2
 * fine-tuning and BF16 inference of a checkpoint, each beside its baselines; the table is printed and written
 * as JSON and Markdown.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Evaluate a pre-trained checkpoint: masked-LM accuracy and perplexity (IMDB held-out, WikiText-2),",
                "the POS probe (UD English EWT), SST-2 fine-tuning and BF16 inference, each beside its baselines.",
                "Writes evaluation.json and evaluation.md into --out."})
final class EvaluateCommand implements Callable<Integer> {

    /** Exit status when the overfitting check does not reach 100%. */
    static final int CHECK_FAILED = 4;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "CHECKPOINT_OR_RUN_DIR", description = "a checkpoint folder, or a run directory (its newest checkpoint)")
    Path checkpoint;

    @Option(names = "--config", defaultValue = "configs/eval/default.yaml", description = "evaluation config (default: ${DEFAULT-VALUE})")
    Path config;

    @Option(names = "--out", description = "where evaluation.json and evaluation.md go (default: the checkpoint's evaluation/)")
    Path out;

    @Option(names = "--cache-dir", defaultValue = "data/cache",
            description = "where the pre-training caches are, shared with training (default: ${DEFAULT-VALUE})")
    Path cacheDir;

    @Option(names = "--quick", description = "subsets of every part (a few minutes)")
    boolean quick;

    @Option(names = "--overfit-one-batch", description = "the sanity check alone: fine-tune the classifier on one SST-2 batch "
            + "until it gets all of it right")
    boolean overfit;

    @Option(names = "--overfit-steps", defaultValue = "200", description = "steps the check may take (default: ${DEFAULT-VALUE})")
    int overfitSteps;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        validate();
        Path folder;
        try {
            folder = Evaluation.resolveCheckpoint(checkpoint);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "CHECKPOINT_OR_RUN_DIR: " + e.getMessage());
        }
        var options = new Evaluation.Options(folder, EvalConfig.load(config), cacheDir, DataStore.fromEnvironment(), quick);
        minibert.train.Progress progress = message -> {
            err.println(message);
            err.flush();
        };
        if (overfit) {
            int steps = Evaluation.overfitOneBatch(options, overfitSteps, progress);
            if (steps < 0) {
                o.printf(Locale.ROOT, "overfit-one-batch: FAILED, the classifier did not get the whole batch right in %d steps%n",
                        overfitSteps);
                return CHECK_FAILED;
            }
            o.printf(Locale.ROOT, "overfit-one-batch: passed, the whole batch right after %d steps%n", steps);
            return 0;
        }
        EvaluationReport report = Evaluation.run(options, progress);
        Path target = out != null ? out : folder.resolve("evaluation");
        report.write(target);
        print(o, List.of("Measure", "minibert", "Baselines"), report.tidyRows());
        o.println();
        print(o, List.of("BF16", "float64", "bfloat16", "Change"), report.bf16Rows());
        o.printf(Locale.ROOT, "%ntime %.0f s, %s; written to %s%n", report.seconds()[4], report.heap(),
                target.resolve("evaluation.json"));
        return 0;
    }

    private void validate() {
        if (!Files.exists(checkpoint)) {
            throw new ParameterException(spec.commandLine(), "CHECKPOINT_OR_RUN_DIR: " + checkpoint + " does not exist");
        }
        if (!Files.isRegularFile(config)) {
            throw new ParameterException(spec.commandLine(), "--config: " + config + " does not exist");
        }
        if (out != null && Files.exists(out) && !Files.isDirectory(out)) {
            throw new ParameterException(spec.commandLine(), "--out: " + out + " exists and is not a folder");
        }
        if (Files.exists(cacheDir) && !Files.isDirectory(cacheDir)) {
            throw new ParameterException(spec.commandLine(), "--cache-dir: " + cacheDir + " exists and is not a folder");
        }
        if (overfitSteps < 1) {
            throw new ParameterException(spec.commandLine(), "--overfit-steps must be at least 1, found " + overfitSteps);
        }
        if (overfit && (quick || out != null)) {
            throw new ParameterException(spec.commandLine(), "--overfit-one-batch runs the check alone; it takes neither --quick nor --out");
        }
    }

    /** A plain-text table: columns padded to their widest cell. */
    static void print(PrintWriter o, List<String> header, List<List<String>> rows) {
        int[] width = new int[header.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = header.get(i).length();
            for (List<String> r : rows) {
                width[i] = Math.max(width[i], r.get(i).length());
            }
        }
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < width.length; i++) {
            line.append(String.format(Locale.ROOT, "%-" + width[i] + "s", header.get(i))).append(i + 1 < width.length ? "  " : "");
        }
        o.println(line.toString().stripTrailing());
        o.println("-".repeat(line.toString().stripTrailing().length()));
        for (List<String> r : rows) {
            line.setLength(0);
            for (int i = 0; i < width.length; i++) {
                line.append(String.format(Locale.ROOT, "%-" + width[i] + "s", r.get(i))).append(i + 1 < width.length ? "  " : "");
            }
            o.println(line.toString().stripTrailing());
        }
    }
}
