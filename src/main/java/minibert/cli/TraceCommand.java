package minibert.cli;

import minibert.explore.ForwardTrace;
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

/** {@code minibert trace --checkpoint DIR "text"}: one forward pass, tensor by tensor. */
@Command(name = "trace", mixinStandardHelpOptions = true,
        description = {"Step through one forward pass of a text: pieces and ids, embeddings, then for every layer Q, K, V, one "
                + "head's scaled and masked scores and softmax, the context, the residual sums and LayerNorms, finally the MLM "
                + "logits; each tensor with its shape, the chapter that derives it, and its first values."})
final class TraceCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    CheckpointOption checkpoint;

    int head;
    int length;
    int rows;
    int values;

    @Option(names = "--head", defaultValue = "0", description = "the head whose scores and softmax are shown, from 0 (default: ${DEFAULT-VALUE})")
    void head(int value) {
        head = Checks.between(spec, "--head", value, 0, Integer.MAX_VALUE);
    }

    @Option(names = "--length", defaultValue = "0", description = "pad the sequence to T positions, to see the mask at work "
            + "(default: as many as the text needs)")
    void length(int value) {
        length = value == 0 ? 0 : Checks.between(spec, "--length", value, 2, Integer.MAX_VALUE);
    }

    @Option(names = "--rows", defaultValue = "3", description = "rows shown of each tensor (default: ${DEFAULT-VALUE})")
    void rows(int value) {
        rows = Checks.between(spec, "--rows", value, 1, Integer.MAX_VALUE);
    }

    @Option(names = "--values", defaultValue = "4", description = "values shown of each row (default: ${DEFAULT-VALUE})")
    void values(int value) {
        values = Checks.between(spec, "--values", value, 1, Integer.MAX_VALUE);
    }

    @Parameters(paramLabel = "TEXT", arity = "1..*", description = "the text")
    List<String> text;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Checkpoint.Pretrained loaded = checkpoint.load(err);
        BertForMaskedLM model = loaded.model();
        var c = model.config();
        if (head >= c.numHeads()) {
            throw new CommandException("--head " + head + ": the model of " + checkpoint + " has heads 0 to " + (c.numHeads() - 1));
        }
        if (length > c.maxPositions()) {
            throw new CommandException("--length " + length + ": the model of " + checkpoint + " has " + c.maxPositions() + " positions");
        }
        String joined = String.join(" ", text);
        int pieces = loaded.wordPiece().encode(joined).length;
        int room = (length == 0 ? c.maxPositions() : length) - 2;
        if (pieces > room) {
            err.println("note: the text has " + pieces + " pieces; " + (room + 2) + " positions hold " + room
                    + " of them besides [CLS] and [SEP]: the last " + (pieces - room) + " were dropped");
        }
        out.printf("minibert trace of %s: L = %d, H = %d, A = %d heads of d = %d, I = %d, V = %d%n%n", checkpoint, c.numLayers(),
                c.hiddenSize(), c.numHeads(), c.hiddenSize() / c.numHeads(), c.intermediateSize(), c.vocabSize());
        ForwardTrace.Trace trace = ForwardTrace.run(model, loaded.wordPiece(), joined, length, head);
        out.print(ForwardTrace.render(trace, joined, rows, values));
        out.flush();
        return 0;
    }
}
