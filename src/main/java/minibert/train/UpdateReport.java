package minibert.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one optimiser step measured, per parameter group (the embeddings, each encoder layer, the MLM head):
 * the gradient's squared norm before clipping, the squared norm of the change AdamW made, and the weights'
 * squared norm after it. The update-to-weight ratio ‖Δθ‖/‖θ‖ is the usual health signal: around 10⁻³ per
 * step is typical, far smaller means a layer barely learns, far larger that it is thrown about.
 */
public final class UpdateReport {

    /** One group's squared norms. */
    public static final class Group {
        double gradientSquares;
        double updateSquares;
        double weightSquares;

        public double gradientNorm() {
            return Math.sqrt(gradientSquares);
        }

        public double updateNorm() {
            return Math.sqrt(updateSquares);
        }

        public double weightNorm() {
            return Math.sqrt(weightSquares);
        }

        /** ‖Δθ‖ / ‖θ‖. */
        public double updateRatio() {
            return weightSquares == 0 ? 0 : Math.sqrt(updateSquares / weightSquares);
        }
    }

    private final Map<String, Group> groups = new LinkedHashMap<>();
    private double gradientNorm;
    private double clipFactor = 1;

    /** The group a parameter belongs to: {@code embeddings}, {@code layer.N} or {@code head}. */
    public static String groupOf(String parameterName) {
        if (parameterName.startsWith("bert.embeddings.")) {
            return "embeddings";
        }
        String prefix = "bert.encoder.layer.";
        if (parameterName.startsWith(prefix)) {
            int dot = parameterName.indexOf('.', prefix.length());
            return "layer." + parameterName.substring(prefix.length(), dot);
        }
        return "head";
    }

    /** Adds one tensor's squared norms to its group (named by {@link #groupOf}). */
    public void add(String group, double gradientSquares, double updateSquares, double weightSquares) {
        Group g = groups.computeIfAbsent(group, k -> new Group());
        g.gradientSquares += gradientSquares;
        g.updateSquares += updateSquares;
        g.weightSquares += weightSquares;
    }

    public void clear() {
        groups.values().forEach(g -> {
            g.gradientSquares = 0;
            g.updateSquares = 0;
            g.weightSquares = 0;
        });
        gradientNorm = 0;
        clipFactor = 1;
    }

    public void setGlobal(double gradientNorm, double clipFactor) {
        this.gradientNorm = gradientNorm;
        this.clipFactor = clipFactor;
    }

    /** The global gradient norm before clipping. */
    public double gradientNorm() {
        return gradientNorm;
    }

    /** The factor the gradient was scaled by: min(1, max_norm / (‖g‖ + 10⁻⁶)). */
    public double clipFactor() {
        return clipFactor;
    }

    public Map<String, Group> groups() {
        return groups;
    }
}
