package minibert.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The float32 erf ({@link VectorErfF}, written by hand for the twin's GELU) against erf in 60-digit decimal arithmetic
 * and against the double {@link Erf}: within 8 units in the last place of float and 4·10⁻⁷ absolute, never outside
 * [−1, 1], the same bits on a vector's lanes as one at a time, and the special values.
 */
class VectorErfFTest {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** The array form on all of {@code x} (its length need not be a multiple of the vector's). */
    private static float[] erf(float[] x, float scale) {
        float[] out = new float[x.length];
        VectorErfF.erf(x, scale, out, new float[x.length], 0, x.length);
        return out;
    }

    private static void accurate(float x, float actual, double exact) {
        double error = Math.abs(actual - exact);
        String what = "erf(" + x + ") = " + actual + ", exactly " + exact + " (" + error / Math.ulp((float) exact) + " ulp)";
        assertTrue(error <= 4e-7, what);
        assertTrue(error <= 8 * Math.ulp((float) exact), what);
        assertTrue(Math.abs(actual) <= 1, what);
    }

    @Test
    void isWithinAFewUlpOfTheExactErf() {
        // x = k/256 on [0, 4.5], the clamp at 4 and the floats beside it, each with −x
        float[] grid = new float[1153 + 3];
        for (int k = 0; k <= 1152; k++) {
            grid[k] = k / 256f;
        }
        grid[1153] = 4f;
        grid[1154] = Math.nextDown(4f);
        grid[1155] = Math.nextUp(4f);
        float[] x = new float[2 * grid.length];
        for (int i = 0; i < grid.length; i++) {
            x[2 * i] = grid[i];
            x[2 * i + 1] = -grid[i];
        }
        float[] erf = erf(x, 1f);
        for (int i = 0; i < x.length; i++) {
            accurate(x[i], erf[i], KernelsTest.exactErf(x[i]));
        }
    }

    @Test
    void isWithinAFewUlpOfTheDoubleErfOnRandomArguments() {
        Random r = new Random(7);
        float[] x = new float[100_003];                       // not a multiple of any vector: the scalar tail too
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (3 * r.nextGaussian());
        }
        float scale = (float) Math.sqrt(0.5);                 // as GELU calls it: erf(x/√2)
        float[] erf = erf(x, scale);
        for (int i = 0; i < x.length; i++) {
            float arg = x[i] * scale;
            accurate(arg, erf[i], Erf.erf(arg));              // Erf is within 10⁻¹⁵ of erf
        }
    }

    @Test
    void aVectorsLanesGiveTheScalarFormsBits() {
        Random r = new Random(11);
        float[] lanes = new float[S.length()];
        for (int round = 0; round < 2000; round++) {
            for (int j = 0; j < lanes.length; j++) {
                lanes[j] = (float) (r.nextInt(4) == 0 ? 6 * r.nextGaussian() : r.nextGaussian());
            }
            FloatVector v = VectorErfF.erf(FloatVector.fromArray(S, lanes, 0));
            for (int j = 0; j < lanes.length; j++) {
                assertEquals(Float.floatToRawIntBits(VectorErfF.erf(lanes[j])), Float.floatToRawIntBits(v.lane(j)),
                        "erf(" + lanes[j] + ")");
            }
        }
    }

    @Test
    void specialValues() {
        float[] x = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-20f, -1e-20f, 10f, -10f, Float.MAX_VALUE,
                -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        float[] erf = erf(x, 1f);
        assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(erf[0]), "erf(0)");
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(erf[1]), "erf(-0)");
        for (int i = 2; i < 6; i++) {                         // tiny: 2x/√π, to within rounding
            float expected = (float) (1.1283791670955126 * x[i]);
            assertEquals(expected, erf[i], 2 * Math.ulp(expected), "erf(" + x[i] + ")");
        }
        for (int i = 6; i < 12; i++) {                        // large and infinite: exactly ±1
            assertEquals(Math.signum(x[i]), erf[i], "erf(" + x[i] + ")");
        }
        assertTrue(Float.isNaN(erf[12]), "erf(NaN) = " + erf[12]);
    }
}
