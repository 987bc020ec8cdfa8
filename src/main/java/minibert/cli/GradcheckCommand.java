package minibert.cli;

import minibert.model.GradientCheck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code minibert gradcheck}: every hand-derived gradient against finite differences, as a table. */
@Command(name = "gradcheck", mixinStandardHelpOptions = true,
        description = "Check every parameter tensor's gradient (and the input embeddings') against finite differences "
                + "on a small model (B=3, T=7, H=12, A=3, I=17, V=29, L=2, padding present).")
final class GradcheckCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--seed", defaultValue = "2026", description = "seed of the model, the batch and the sampled entries (default: ${DEFAULT-VALUE})")
    long seed;

    int samples;

    @Option(names = "--samples", defaultValue = "12", description = "random entries per tensor besides the largest, 0 to 10000 (default: ${DEFAULT-VALUE})")
    void samples(int value) {
        samples = Checks.between(spec, "--samples", value, 0, 10_000);
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<GradientCheck.Row> rows = GradientCheck.run(seed, samples);
        out.printf("%-58s %-9s %7s %12s %12s  %s%n", "TENSOR", "SHAPE", "ENTRIES", "MAX |GRAD|", "MAX ERROR", "");
        int failed = 0;
        for (GradientCheck.Row r : rows) {
            out.printf("%-58s %-9s %7d %12.3e %12.3e  %s%n", r.name(), r.shape(), r.checked(), r.maxGradient(),
                    r.maxError(), (r.passed() ? "ok" : "FAIL") + (r.zero() ? " (absolute: true gradient is 0)" : ""));
            failed += r.passed() ? 0 : 1;
        }
        out.printf("%d tensors, %d failed (relative tolerance %.0e)%n", rows.size(), failed, GradientCheck.TOLERANCE);
        return failed == 0 ? 0 : 1;
    }
}
