package minibert.cli;

import minibert.book.ExploreFigures;
import minibert.book.Plot;
import minibert.data.DataStore;
import minibert.explore.RunLog;
import minibert.explore.RunReport;
import minibert.explore.TrainingDynamics;
import minibert.explore.UnigramSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;

/** {@code minibert analyze RUN_DIR [RUN_DIR]}: the phases, the gradient flow and suggestions, from a run's metrics log. */
@Command(name = "analyze", mixinStandardHelpOptions = true,
        description = {"Read one or two run directories and print the phases of training (the plateau at the unigram loss, "
                + "the drop when context starts to help), the gradient flow per parameter group, and what the rules flag "
                + "(vanishing or exploding layers, divergence, a plateau that outlasts warm-up, update ratios far from 1e-3), "
                + "each with the measurement that triggered it.",
                "The unigram loss U comes from the run's corpus caches (CACHE/train-KEY.bin and held-out-KEY.bin, named as "
                        + "minibert train names them); missing ones are built from the data, as minibert train would build them, "
                        + "unless --no-unigram is given."})
final class AnalyzeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "RUN_DIR", index = "0..1", arity = "1..2", description = "a run directory (minibert train --run-dir), or two to compare")
    List<Path> runs;

    @Option(names = "--cache-dir", defaultValue = "data/cache", description = "where the runs' corpus caches are (default: ${DEFAULT-VALUE})")
    Path cacheDir;

    @Option(names = "--no-unigram", description = "do not look for or build the caches: the phase rules are then not applied")
    boolean noUnigram;

    Path plot;

    @Option(names = "--plot", paramLabel = "FILE.svg", description = "also draw the loss of the runs against steps (or tokens) with the "
            + "learning rate and the phases into this SVG file")
    void plot(Path value) {
        if (!value.getFileName().toString().endsWith(".svg")) {
            throw new ParameterException(spec.commandLine(), "--plot " + value + " must name an .svg file");
        }
        Path parent = value.toAbsolutePath().getParent();
        Checks.outputFolder(spec, "--plot", parent);
        if (Files.isDirectory(value)) {
            throw new ParameterException(spec.commandLine(), "--plot " + value + " is a folder; it must name a file");
        }
        plot = value;
    }

    @Option(names = "--tokens", description = "plot against tokens seen instead of steps")
    boolean tokens;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<TrainingDynamics.Analysis> analyses = new ArrayList<>();
        for (Path run : runs) {
            RunLog log = RunLog.read(run);
            OptionalDouble u = OptionalDouble.empty();
            String how = "--no-unigram";
            if (!noUnigram) {
                try {
                    UnigramSource.Outcome o = UnigramSource.forRun(run, cacheDir, DataStore.fromEnvironment(), m -> {
                        err.println(m);
                        err.flush();
                    });
                    u = o.loss();
                    how = o.how();
                } catch (RuntimeException e) {
                    how = "its caches could not be read or built: " + e.getMessage();
                }
            }
            TrainingDynamics.Analysis a = TrainingDynamics.analyse(log, u);
            analyses.add(a);
            out.print(RunReport.render(a, how));
            out.println();
        }
        if (analyses.size() == 2) {
            out.print(RunReport.compare(analyses.get(0), analyses.get(1)));
        }
        if (plot != null) {
            Plot chart = ExploreFigures.loss(analyses, tokens);
            Files.createDirectories(plot.toAbsolutePath().getParent());
            Path tmp = plot.toAbsolutePath().resolveSibling("." + plot.getFileName() + ".tmp");
            Files.writeString(tmp, chart.toSvg(), StandardCharsets.UTF_8);
            Files.move(tmp, plot, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            out.println("wrote " + plot);
        }
        out.flush();
        return 0;
    }
}
