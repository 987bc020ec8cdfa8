package minibert.cli;

import minibert.explore.Inspection;
import minibert.explore.Sequence;
import minibert.explore.TerminalAttention;
import minibert.model.BertForMaskedLM;
import minibert.model.checkpoint.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code minibert attention --checkpoint DIR "text"}: one head's attention as a heat map of shaded blocks. */
@Command(name = "attention", mixinStandardHelpOptions = true,
        description = {"Draw one attention head of a checkpoint on a text as a heat map in the terminal (a row per query, "
                + "a column per key, shades · ░ ▒ ▓ █ for weights from 0 to 1), then each token's most attended token.",
                "Layers and heads are numbered from 0, as in the book and the metrics log (layer.0)."})
final class AttentionCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    CheckpointOption checkpoint;

    int layer;
    int head;

    @Option(names = "--layer", defaultValue = "0", description = "layer, from 0 (default: ${DEFAULT-VALUE})")
    void layer(int value) {
        layer = Checks.between(spec, "--layer", value, 0, Integer.MAX_VALUE);
    }

    @Option(names = "--head", defaultValue = "0", description = "head, from 0 (default: ${DEFAULT-VALUE})")
    void head(int value) {
        head = Checks.between(spec, "--head", value, 0, Integer.MAX_VALUE);
    }

    @Option(names = "--pair", description = "a second text: the sequence is [CLS] TEXT [SEP] PAIR [SEP]")
    String pair;

    @Parameters(paramLabel = "TEXT", arity = "1..*", description = "the text")
    List<String> text;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Checkpoint.Pretrained loaded = checkpoint.load(err);
        BertForMaskedLM model = loaded.model();
        int layers = model.config().numLayers(), heads = model.config().numHeads();
        if (layer >= layers) {
            throw new CommandException("--layer " + layer + ": the model of " + checkpoint + " has layers 0 to " + (layers - 1));
        }
        if (head >= heads) {
            throw new CommandException("--head " + head + ": the model of " + checkpoint + " has heads 0 to " + (heads - 1));
        }
        String joined = String.join(" ", text);
        int positions = model.config().maxPositions();
        Sequence s = Sequence.of("text", loaded.wordPiece(), joined, pair, positions);
        int pieces = loaded.wordPiece().encode(joined).length + (pair == null ? 0 : loaded.wordPiece().encode(pair).length);
        if (pieces > s.length() - (pair == null ? 2 : 3)) {
            err.println("note: the text has " + pieces + " pieces; T = " + positions + " positions hold " + (s.length() - (pair == null ? 2 : 3))
                    + " of them besides [CLS] and [SEP]: the rest were dropped");
        }
        Inspection.run(model, List.of(s), 1, (i, seq, view) -> out.print(TerminalAttention.render(view.attention(layer, head),
                seq.tokens(), "layer " + layer + ", head " + head + " of " + checkpoint + " (" + seq.length() + " positions)")));
        out.flush();
        return 0;
    }
}
