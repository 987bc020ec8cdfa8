package minibert.book;

import minibert.model.TwinComparison;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The float32 twin against the double model, for the "Making it fast" chapter: every compared quantity, its
 * normwise error in units of float's roundoff u, and the tolerance; a row over its tolerance fails the build.
 */
public final class TwinResults implements ResultProducer {

    static final long SEED = 2026;

    @Override
    public String name() {
        return "twin";
    }

    @Override
    public void produce(Results results) {
        List<TwinComparison.Row> rows = TwinComparison.compare(TwinComparison.pair(SEED, x -> x));
        double u = TwinComparison.U, worstForward = 0, worstGradient = 0;
        List<List<Object>> table = new ArrayList<>();
        boolean passed = true;
        for (TwinComparison.Row r : rows) {
            boolean gradient = r.name().endsWith(" grad");
            boolean zero = r.tolerance() == TwinComparison.ZERO_GRADIENT_TOLERANCE;
            if (!zero) {
                if (gradient) {
                    worstGradient = Math.max(worstGradient, r.error());
                } else {
                    worstForward = Math.max(worstForward, r.error());
                }
            }
            passed &= r.passed();
            table.add(List.of(r.name(), fmt("%.2e", r.error()), fmt("%.1f u", r.error() / u),
                    fmt("%.0f u", r.tolerance() / u) + (zero ? " of the largest gradient" : ""), r.passed() ? "pass" : "FAIL"));
        }
        results.publish("twin/float").seed(SEED)
                .attribute("forward-u", fmt("%.0f", worstForward / u))
                .attribute("gradient-u", fmt("%.0f", worstGradient / u))
                .attribute("forward-tolerance-u", fmt("%.0f", TwinComparison.FORWARD_TOLERANCE / u))
                .attribute("gradient-tolerance-u", fmt("%.0f", TwinComparison.GRADIENT_TOLERANCE / u))
                .attribute("quantities", Integer.toString(rows.size()))
                .table("The float32 twin against the double model, same weights (normwise error; u = 2⁻²⁴)",
                        List.of("Quantity", "Error", "In units of u", "Tolerance", ""), table);
        results.publish("twin/check").seed(SEED).check("The float32 twin computes what the double model computes, to float rounding",
                passed, rows.size() + " quantities; largest error " + fmt("%.0f u", worstForward / u) + " forward, "
                        + fmt("%.0f u", worstGradient / u) + " in the gradients");
    }

    private static String fmt(String f, Object... a) {
        return String.format(Locale.ROOT, f, a);
    }
}
