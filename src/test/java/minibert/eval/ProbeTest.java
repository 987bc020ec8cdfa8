package minibert.eval;

import minibert.tensor.Products;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProbeTest {

    /** Fourth-order central differences against the hand-derived gradient, every entry of W and b. */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 5, 99})
    void theGradientMatchesFiniteDifferences(long seed) {
        int n = 7, h = 11, k = 5;
        Random random = new Random(seed);
        Probe probe = new Probe(h, k, 0.3, Products.REFERENCE);
        Fixtures.perturb(probe.parameters(), seed, 0.5);
        DMatrixRMaj x = new DMatrixRMaj(n, h);
        for (int i = 0; i < x.data.length; i++) {
            x.data[i] = random.nextGaussian();
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = random.nextInt(k);
        }
        Probe.Activations acts = new Probe.Activations(n, h, k);
        probe.zeroGrad();
        probe.forward(x, labels, acts);
        probe.backward(x, acts);
        Probe.Activations other = new Probe.Activations(n, h, k);
        double step = 1e-3;
        for (var p : probe.parameters()) {
            double largest = 0;
            for (double g : p.grad().data) {
                largest = Math.max(largest, Math.abs(g));
            }
            for (int i = 0; i < p.size(); i++) {
                double v = p.value().data[i];
                double[] l = new double[4];
                double[] at = {v + 2 * step, v + step, v - step, v - 2 * step};
                for (int j = 0; j < 4; j++) {
                    p.value().data[i] = at[j];
                    l[j] = probe.forward(x, labels, other);
                }
                p.value().data[i] = v;
                double numeric = (-l[0] + 8 * l[1] - 8 * l[2] + l[3]) / (12 * step);
                double error = Math.abs(numeric - p.grad().data[i]) / Math.max(Math.abs(numeric), 1e-3 * largest);
                assertTrue(error < 1e-7, "seed " + seed + ": " + p.name() + "[" + i + "] analytic " + p.grad().data[i]
                        + ", numeric " + numeric + ", relative error " + error);
            }
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {2, 11})
    void learnsALinearlySeparableTaskAndSelectsOnDev(long seed) {
        int h = 9, k = 3;
        Random random = new Random(seed);
        double[][] centres = new double[k][h];
        for (double[] c : centres) {
            for (int j = 0; j < h; j++) {
                c[j] = 3 * random.nextGaussian();
            }
        }
        ProbeTraining.Split train = split(centres, 301, random), dev = split(centres, 53, random), test = split(centres, 57, random);
        var settings = new ProbeTraining.Settings(6, 0.05, new double[] {0, 1e-2}, 13, seed);
        ProbeTraining.Outcome o = ProbeTraining.fit(train, dev, test, k, settings, Products.REFERENCE);
        assertTrue(o.devAccuracy() > 0.95 && o.testAccuracy() > 0.9, "seed " + seed + ": " + o);
        assertTrue(o.epoch() >= 1 && o.epoch() <= 6, o.toString());
        // the same settings give the same outcome: the order of rows is seeded
        assertEquals(o, ProbeTraining.fit(train, dev, test, k, settings, Products.REFERENCE));
    }

    private static ProbeTraining.Split split(double[][] centres, int n, Random random) {
        int h = centres[0].length;
        float[] x = new float[n * h];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = random.nextInt(centres.length);
            for (int j = 0; j < h; j++) {
                x[i * h + j] = (float) (centres[y[i]][j] + random.nextGaussian());
            }
        }
        return new ProbeTraining.Split(x, y, h);
    }
}
