package minibert.explore;

import java.nio.file.Path;
import java.util.Locale;
import java.util.function.IntToDoubleFunction;

/** Metrics logs written by hand for the rules' tests: a loss curve and per-group figures as functions of the step. */
final class MadeUpLogs {

    static final Path DIR = Path.of("made-up-run");

    private MadeUpLogs() {
    }

    /** A group's figures at a step. */
    interface Groups {
        /** {grad_norm, update_ratio, weight_norm} of group g (0 embeddings, 1…3 layers, 4 head) at log point k. */
        double[] at(int g, int k);
    }

    static final String[] GROUPS = {"embeddings", "layer.0", "layer.1", "layer.2", "head"};

    /** Healthy figures: the layers' gradient norms near 0.2, ratios near 10⁻³. */
    static final Groups HEALTHY = (g, k) -> new double[] {0.2 + 0.01 * ((g * 7 + k) % 5), 1e-3 * (1 + 0.1 * (k % 3)), 20};

    /** {@code points} log points every {@code every} steps; loss(k) of point k. */
    static String log(int points, int every, IntToDoubleFunction loss, Groups groups) {
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < points; k++) {
            long step = (long) (k + 1) * every;
            double l = loss.applyAsDouble(k);
            b.append(String.format(Locale.ROOT, "{\"kind\":\"train\",\"step\":%d,\"tokens\":%d,\"loss\":%s,\"accuracy\":0.1,"
                    + "\"grad_norm\":%s,\"clip\":1,\"lr\":0.001,\"tokens_per_s\":100,\"groups\":{", step, step * 2048,
                    Double.isFinite(l) ? Double.toString(l) : "null", Double.toString(global(groups, k))));
            for (int g = 0; g < GROUPS.length; g++) {
                double[] f = groups.at(g, k);
                b.append(g == 0 ? "" : ",").append(String.format(Locale.ROOT,
                        "\"%s\":{\"grad_norm\":%s,\"update_ratio\":%s,\"weight_norm\":%s}", GROUPS[g], f[0], f[1], f[2]));
            }
            b.append("}}\n");
            if ((k + 1) % 10 == 0) {
                b.append(String.format(Locale.ROOT, "{\"kind\":\"eval\",\"step\":%d,\"loss\":%s,\"accuracy\":0.1,\"perplexity\":%s}%n",
                        step, Double.isFinite(l) ? Double.toString(l) : "null", Double.isFinite(l) ? Double.toString(Math.exp(l)) : "null"));
            }
        }
        return b.toString();
    }

    private static double global(Groups groups, int k) {
        double s = 0;
        for (int g = 0; g < GROUPS.length; g++) {
            s += groups.at(g, k)[0] * groups.at(g, k)[0];
        }
        return Math.sqrt(s);
    }

    static RunLog parse(String text, long warmup) {
        return RunLog.parse(DIR, DIR.resolve("metrics.jsonl"), text, new RunLog.Settings(10_000, warmup, 1e-3, 2048, 8192));
    }
}
