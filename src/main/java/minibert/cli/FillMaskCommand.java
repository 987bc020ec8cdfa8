package minibert.cli;

import minibert.model.FillMask;
import minibert.model.checkpoint.Checkpoint;
import minibert.text.ModelInputs;
import minibert.text.WordPiece;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code minibert fill-mask "the movie was [MASK] ."}: the top predictions of a checkpoint for each mask. */
@Command(name = "fill-mask", mixinStandardHelpOptions = true,
        description = "Predict the tokens behind each [MASK] with a checkpoint (model.safetensors, config.json, vocab.txt, "
                + "tokenizer_config.json), ours or one Hugging Face transformers wrote for BertForMaskedLM or "
                + "BertForPreTraining (weights in F64, F32, F16 or BF16).")
final class FillMaskCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    CheckpointOption checkpoint;

    int top;

    @Option(names = "--top", defaultValue = "5", description = "candidates per mask, at least 1 (default: ${DEFAULT-VALUE})")
    void top(int value) {
        top = Checks.between(spec, "--top", value, 1, Integer.MAX_VALUE);
    }

    @Parameters(paramLabel = "TEXT", arity = "1..*", description = "text with one or more [MASK]")
    List<String> text;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Checkpoint.Pretrained loaded = checkpoint.load(err);
        WordPiece wp = loaded.wordPiece();
        int positions = loaded.model().config().maxPositions();
        int vocabulary = wp.vocabulary().size();
        if (top > vocabulary) {
            err.println("note: --top " + top + " is more than the vocabulary's " + vocabulary + " pieces; showing all of them");
        }
        String joined = String.join(" ", text);
        ModelInputs.Truncation cut = ModelInputs.truncation(wp, joined, positions);
        if (cut.masks() == 0) {
            throw new CommandException("the text has no [MASK]: " + joined);
        }
        if (cut.dropped() > 0) {
            err.println("note: the text has " + cut.pieces() + " pieces, but T = " + positions + " positions hold "
                    + cut.kept() + " besides [CLS] and [SEP]: the last " + cut.dropped() + " were dropped"
                    + (cut.droppedMasks() > 0 ? ", " + cut.droppedMasks() + " of the " + cut.masks() + " [MASK]s among them" : ""));
        }
        if (cut.droppedMasks() == cut.masks()) {
            throw new CommandException("every [MASK] of the text lies beyond the first " + cut.kept()
                    + " pieces that fit in T = " + positions + " positions; nothing is left to predict");
        }
        List<List<FillMask.Candidate>> predictions = FillMask.predict(loaded.model(), wp, joined, Math.min(top, vocabulary));
        for (List<FillMask.Candidate> candidates : predictions) {
            for (FillMask.Candidate c : candidates) {
                if (!Double.isFinite(c.probability())) {
                    throw new CommandException("the model of " + checkpoint + " gives the probability " + c.probability()
                            + " to '" + c.token() + "': its weights are finite but the computation overflowed, so no "
                            + "prediction is shown");
                }
            }
        }
        for (int m = 0; m < predictions.size(); m++) {
            out.println("[MASK] " + (m + 1) + ":");
            for (FillMask.Candidate c : predictions.get(m)) {
                out.printf(Locale.ROOT, "  %-16s %.4f%n", c.token(), c.probability());
            }
        }
        return 0;
    }
}
