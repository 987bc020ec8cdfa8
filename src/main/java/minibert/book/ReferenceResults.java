package minibert.book;

import minibert.model.ReferenceComparison;
import minibert.model.ReferenceFixture;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs the model on the PyTorch reference fixture ({@link ReferenceFixture#SMALL}, written by hand with
 * {@code tools/reference/bert_reference.py}) and publishes the largest difference per tensor, and a check
 * that fails the build if the loss, a log-probability or any gradient is off by more than its tolerance or a
 * tensor is unmatched.
 */
public final class ReferenceResults implements ResultProducer {

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public void produce(Results results) {
        Path dir = ProjectFiles.projectDir().resolve(ReferenceFixture.SMALL);
        ReferenceFixture fixture = ReferenceFixture.load(dir);
        Publication table = results.publish("reference/gradients").seed(fixture.seed()).config(dir.resolve("fixture.json"));
        ReferenceComparison c = ReferenceComparison.run(fixture);

        double[][] logits = fixture.maskedLogits();
        int vocab = logits.length == 0 ? 0 : logits[0].length;
        List<List<Object>> rows = new ArrayList<>();
        rows.add(List.of("loss", "scalar", fmt("%.1e", Math.abs(c.loss() - c.referenceLoss()))));
        rows.add(List.of("log-probabilities at the labelled rows", "[" + c.maskedRows() + ", " + vocab + "]", fmt("%.1e", c.maxLogProbDifference())));
        for (ReferenceComparison.TensorRow r : c.tensors()) {
            rows.add(List.of(r.name(), r.shape() + (r.shape().equals(r.referenceShape()) ? "" : " (PyTorch: " + r.referenceShape() + ")"),
                    fmt("%.1e", r.maxDifference())));
        }
        for (String name : c.withoutParameter()) {
            rows.add(List.of(name, "PyTorch only", "no such parameter"));
        }
        var b = fixture.batch();
        List<String> lengths = new ArrayList<>();
        for (int s = 0; s < b.batch(); s++) {
            int real = 0;
            for (int i = 0; i < b.length(); i++) {
                real += b.attentionMask()[s * b.length() + i];
            }
            lengths.add(Integer.toString(real));
        }
        Map<Integer, Integer> occurrences = new HashMap<>();
        for (int i = 0; i < b.inputIds().length; i++) {
            if (b.attentionMask()[i] == 1) {
                occurrences.merge(b.inputIds()[i], 1, Integer::sum);
            }
        }
        int repeats = occurrences.values().stream().max(Integer::compare).orElse(0);
        table.attribute("torch", fixture.torch())
                .attribute("torch-package", fixture.torchPackage().isEmpty() ? "unrecorded" : fixture.torchPackage())
                .attribute("script", fixture.script())
                .attribute("generator-version", Integer.toString(fixture.generatorVersion()))
                .attribute("tensors", Integer.toString(c.tensors().size()))
                .attribute("masked", Integer.toString(c.maskedRows()))
                .attribute("batch", b.batch() + " × " + b.length())
                .attribute("lengths", lengths.size() == 1 ? lengths.getFirst()
                        : String.join(", ", lengths.subList(0, lengths.size() - 1)) + " and " + lengths.getLast())
                .attribute("repeats", Integer.toString(repeats))
                .attribute("adamw-steps", Integer.toString(fixture.adamw().steps()))
                .attribute("weight-std", Double.toString(fixture.weightStd()))
                .attribute("loss", fmt("%.15f", c.referenceLoss()))
                .attribute("loss-difference", fmt("%.1e", Math.abs(c.loss() - c.referenceLoss())))
                .attribute("log-prob-difference", fmt("%.1e", c.maxLogProbDifference()))
                .attribute("max-difference", fmt("%.1e", c.maxGradientDifference()))
                .attribute("tolerance", fmt("%.0e", ReferenceComparison.GRADIENT_TOLERANCE))
                .attribute("loss-tolerance", fmt("%.0e", ReferenceComparison.LOSS_TOLERANCE))
                .attribute("log-prob-tolerance", fmt("%.0e", ReferenceComparison.LOG_PROB_TOLERANCE))
                .table("minibert against PyTorch " + fixture.torch() + ", float64 (B×T = " + b.batch() + "×" + b.length()
                                + ", M = " + c.maskedRows() + " labelled positions)",
                        List.of("Tensor", "Shape", "max |ours − PyTorch|"), rows);

        String detail = c.tensors().size() + " gradient tensors, largest difference " + fmt("%.1e", c.maxGradientDifference())
                + " (tolerance " + fmt("%.0e", ReferenceComparison.GRADIENT_TOLERANCE) + "); loss "
                + fmt("%.1e", Math.abs(c.loss() - c.referenceLoss())) + " (tolerance "
                + fmt("%.0e", ReferenceComparison.LOSS_TOLERANCE) + "); log-probabilities "
                + fmt("%.1e", c.maxLogProbDifference()) + " (tolerance " + fmt("%.0e", ReferenceComparison.LOG_PROB_TOLERANCE) + ")"
                + (c.withoutReference().isEmpty() ? "" : "; no reference for " + c.withoutReference())
                + (c.withoutParameter().isEmpty() ? "" : "; no parameter for " + c.withoutParameter());
        results.publish("reference/check").seed(fixture.seed()).config(dir.resolve("fixture.json"))
                .check("The loss, the log-probabilities and every gradient against PyTorch", c.passed(), detail);

        // the optimizer: our AdamW against torch.optim.AdamW, the same steps on the same batch
        minibert.train.OptimizerReference opt = minibert.train.OptimizerReference.run(fixture);
        java.util.List<java.util.List<Object>> steps = new java.util.ArrayList<>();
        for (int i = 0; i < opt.ours().length; i++) {
            steps.add(java.util.List.of(i, fmt("%.15f", opt.ours()[i]), fmt("%.15f", opt.reference()[i]),
                    fmt("%.1e", Math.abs(opt.ours()[i] - opt.reference()[i]))));
        }
        ReferenceFixture.AdamW a = fixture.adamw();
        results.publish("reference/adamw").seed(fixture.seed()).config(dir.resolve("fixture.json"))
                .attribute("steps", Integer.toString(a.steps()))
                .attribute("lr", fmt("%.0e", a.lr()))
                .attribute("weight-decay", fmt("%.2f", a.weightDecay()))
                .attribute("max-difference", fmt("%.1e", opt.maxDifference()))
                .attribute("tolerance", fmt("%.0e", minibert.train.OptimizerReference.TOLERANCE))
                .attribute("decayed", Integer.toString(a.decay().size()))
                .attribute("not-decayed", Integer.toString(a.noDecay().size()))
                .table("Loss before each AdamW step and after the last: minibert against torch.optim.AdamW",
                        java.util.List.of("Step", "minibert", "PyTorch", "|difference|"), steps);
        results.publish("reference/adamw-check").seed(fixture.seed()).config(dir.resolve("fixture.json"))
                .check("AdamW against torch.optim.AdamW", opt.passed(), a.steps() + " steps, largest loss difference "
                        + fmt("%.1e", opt.maxDifference()) + " (tolerance " + fmt("%.0e", minibert.train.OptimizerReference.TOLERANCE) + ")"
                        + (opt.decayMismatches().isEmpty() ? "; the same tensors decayed" : "; decay differs: " + opt.decayMismatches()));
    }

    private static String fmt(String f, Object... a) {
        return String.format(Locale.ROOT, f, a);
    }
}
