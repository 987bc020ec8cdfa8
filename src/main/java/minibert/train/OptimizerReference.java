package minibert.train;

import minibert.model.Batch;
import minibert.model.BertForMaskedLM;
import minibert.model.ReferenceFixture;
import minibert.nn.Param;
import minibert.nn.Pass;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Our AdamW against {@code torch.optim.AdamW}, as {@code test_gpt2.c} ends: the fixture's model trained for
 * its recorded number of steps on its one batch (learning rate, betas, ε and weight decay from the fixture,
 * no clipping, no schedule), the loss before each update and after the last compared with PyTorch's. The
 * fixture also names the tensors PyTorch decayed; they must be exactly those whose {@link Param.Kind} decays.
 *
 * @param ours             our losses, {@code steps + 1} of them
 * @param reference        PyTorch's
 * @param decayMismatches  tensors decayed by one side only
 */
public record OptimizerReference(double[] ours, double[] reference, List<String> decayMismatches) {

    /** The largest |ours − PyTorch| accepted for a loss. */
    public static final double TOLERANCE = 1e-9;

    // tag::run[]
    public static OptimizerReference run(ReferenceFixture fixture) {
        ReferenceFixture.AdamW settings = fixture.adamw();
        BertForMaskedLM model = fixture.model();
        Batch batch = fixture.batch();
        BertForMaskedLM.Activations acts = model.activations(batch.batch(), batch.length());
        AdamW optimizer = new AdamW(model.parameters(), settings.beta1(), settings.beta2(), settings.eps(),
                settings.weightDecay());
        double[] losses = new double[settings.steps() + 1];
        for (int step = 0; step <= settings.steps(); step++) {
            model.zeroGrad();
            losses[step] = model.forward(batch, acts, Pass.INFERENCE);   // dropout 0, as in the fixture
            if (step < settings.steps()) {
                model.backward(batch, acts);
                optimizer.step(settings.lr(), 1, null);                  // no clipping
            }
        }
        // end::run[]
        Set<String> ourDecay = new TreeSet<>(), theirs = new TreeSet<>(settings.decay());
        for (Param p : model.parameters()) {
            if (p.kind().decayed()) {
                ourDecay.add(p.name());
            }
        }
        List<String> mismatches = new ArrayList<>();
        for (String n : ourDecay) {
            if (!theirs.contains(n)) {
                mismatches.add(n + " (decayed here only)");
            }
        }
        for (String n : theirs) {
            if (!ourDecay.contains(n)) {
                mismatches.add(n + " (decayed by PyTorch only)");
            }
        }
        return new OptimizerReference(losses, settings.losses().clone(), List.copyOf(mismatches));
    }

    /** The largest |ours − PyTorch| over the losses (infinite when the counts differ, NaN counting as worst). */
    public double maxDifference() {
        if (ours.length != reference.length) {
            return Double.POSITIVE_INFINITY;
        }
        double worst = 0;
        for (int i = 0; i < ours.length; i++) {
            double d = Math.abs(ours[i] - reference[i]);
            worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(worst, d);
        }
        return worst;
    }

    public boolean passed() {
        return maxDifference() <= TOLERANCE && decayMismatches.isEmpty();
    }

    /** One line per step: ours, PyTorch's, the difference. */
    public String report() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.max(ours.length, reference.length); i++) {
            b.append(String.format(Locale.ROOT, "step %2d  ours %.15f  PyTorch %.15f  |difference| %.1e%n", i,
                    i < ours.length ? ours[i] : Double.NaN, i < reference.length ? reference[i] : Double.NaN,
                    i < ours.length && i < reference.length ? Math.abs(ours[i] - reference[i]) : Double.NaN));
        }
        decayMismatches.forEach(m -> b.append("FAIL: ").append(m).append('\n'));
        return b.toString();
    }
}
