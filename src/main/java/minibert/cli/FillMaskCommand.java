package minibert.cli;

import minibert.model.BertForMaskedLM;
import minibert.model.FillMask;
import minibert.model.checkpoint.Checkpoint;
import minibert.text.Vocabulary;
import minibert.text.WordPiece;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code minibert fill-mask "the movie was [MASK] ."}: the top predictions of a checkpoint for each mask. */
@Command(name = "fill-mask", mixinStandardHelpOptions = true,
        description = "Predict the tokens behind each [MASK] with a checkpoint (model.safetensors, config.json, vocab.txt).")
final class FillMaskCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", required = true, description = "checkpoint folder")
    Path checkpoint;

    @Option(names = "--top", defaultValue = "5", description = "candidates per mask (default: ${DEFAULT-VALUE})")
    int top;

    @Parameters(paramLabel = "TEXT", arity = "1..*", description = "text with one or more [MASK]")
    List<String> text;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        BertForMaskedLM model = Checkpoint.load(checkpoint);
        WordPiece wp = new WordPiece(Vocabulary.load(checkpoint.resolve("vocab.txt")));
        List<List<FillMask.Candidate>> predictions = FillMask.predict(model, wp, String.join(" ", text), top);
        for (int m = 0; m < predictions.size(); m++) {
            out.println("[MASK] " + (m + 1) + ":");
            for (FillMask.Candidate c : predictions.get(m)) {
                out.printf(Locale.ROOT, "  %-16s %.4f%n", c.token(), c.probability());
            }
        }
        return 0;
    }
}
