package minibert.book;

import minibert.model.GradientCheck;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Runs the gradient check of every parameter tensor and the input embeddings, and publishes one table per
 * component; a row that fails makes the build fail.
 */
public final class GradcheckResults implements ResultProducer {

    static final long SEED = 2026;

    @Override
    public String name() {
        return "gradcheck";
    }

    @Override
    public void produce(Results results) {
        minibert.config.ModelConfig small = GradientCheck.smallConfig();
        minibert.model.Batch batch = GradientCheck.smallBatch(small, SEED);
        String setting = "B=" + batch.batch() + ", T=" + batch.length() + ", H=" + small.hiddenSize() + ", A="
                + small.numHeads() + ", I=" + small.intermediateSize() + ", V=" + small.vocabSize() + ", L=" + small.numLayers();
        long start = System.nanoTime();
        List<GradientCheck.Row> rows = new ArrayList<>(GradientCheck.run(SEED, 12));
        for (GradientCheck.Row r : GradientCheck.runClassifier(SEED, 12)) {
            if (r.name().startsWith("bert.pooler") || r.name().startsWith("classifier")) {
                rows.add(r);            // the encoder's tensors are already in the MLM check
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Predicate<String>> components = new LinkedHashMap<>();
        components.put("embeddings", n -> n.startsWith("bert.embeddings") || n.equals("input embeddings"));
        components.put("attention", n -> n.contains(".attention.self.") || n.contains(".attention.output.dense"));
        components.put("feed-forward", n -> n.contains(".intermediate.dense") || n.matches(".*layer\\.\\d+\\.output\\.dense.*"));
        components.put("layer-norm", n -> n.startsWith("bert.encoder") && n.contains("LayerNorm"));
        components.put("mlm-head", n -> n.startsWith("cls."));
        components.put("classification-head", n -> n.startsWith("bert.pooler") || n.startsWith("classifier"));
        double worst = 0;
        int tensors = 0;
        for (var c : components.entrySet()) {
            List<List<Object>> table = new ArrayList<>();
            boolean all = true;
            double componentWorst = 0;
            for (GradientCheck.Row r : rows) {
                if (!c.getValue().test(r.name())) {
                    continue;
                }
                tensors++;
                all &= r.passed();
                if (!r.zero()) {
                    componentWorst = Math.max(componentWorst, r.maxError());
                }
                table.add(List.of(r.name(), r.shape(), r.checked(), fmt("%.2e", r.maxGradient()),
                        fmt("%.1e", r.maxError()) + (r.zero() ? " (absolute)" : ""), r.passed() ? "pass" : "FAIL"));
            }
            worst = Math.max(worst, componentWorst);
            results.publish("gradcheck/" + c.getKey()).seed(SEED)
                    .attribute("max-rel-error", fmt("%.1e", componentWorst))
                    .attribute("passed", all ? "all passed" : "SOME FAILED")
                    .table("Gradient check: " + c.getKey().replace('-', ' ') + " (" + setting + ", padding present)",
                            List.of("Tensor", "Shape", "Entries checked", "Largest |gradient|", "Max error", ""), table);
        }
        boolean passed = rows.stream().allMatch(GradientCheck.Row::passed) && tensors == rows.size();
        results.publish("gradcheck/all").seed(SEED)
                .attribute("tensors", Integer.toString(rows.size()))
                .attribute("max-rel-error", fmt("%.1e", worst))
                .attribute("tolerance", fmt("%.0e", GradientCheck.TOLERANCE))
                .attribute("setting", setting)
                .attribute("step", fmt("%.0e", GradientCheck.STEP))
                .attribute("floor", fmt("%.0e", GradientCheck.FLOOR))
                .attribute("zero-tolerance", fmt("%.0e", GradientCheck.ZERO_TOLERANCE))
                .attribute("seconds", fmt("%.2f", seconds))
                .check("Every hand-derived gradient against finite differences", passed,
                        rows.size() + " tensors, largest relative error " + fmt("%.1e", worst) + " (tolerance "
                                + fmt("%.0e", GradientCheck.TOLERANCE) + ")"
                                + (tensors == rows.size() ? "" : "; " + (rows.size() - tensors) + " tensors in no component"));
    }

    private static String fmt(String f, Object... a) {
        return String.format(Locale.ROOT, f, a);
    }
}
