package minibert.nn;

import org.ejml.data.DMatrixRMaj;

/**
 * The Gaussian error linear unit, element-wise, in BERT's exact form or its tanh approximation:
 *
 * <pre>
 * exact: gelu(x) = x·Φ(x) = ½·x·(1 + erf(x/√2))         gelu'(x) = Φ(x) + x·φ(x)
 * tanh:  gelu(x) ≈ ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
 * </pre>
 */
public final class Gelu {

    private static final double SQRT_HALF = 0.7071067811865476;
    private static final double INV_SQRT_2PI = 0.3989422804014327;
    private static final double SQRT_2_OVER_PI = 0.7978845608028654;

    private final boolean tanh;
    private DMatrixRMaj input;

    /** @param activation {@code gelu} (exact) or {@code gelu_tanh} */
    public Gelu(String activation) {
        this.tanh = switch (activation) {
            case "gelu" -> false;
            case "gelu_tanh" -> true;
            default -> throw new IllegalArgumentException("unknown activation '" + activation + "'");
        };
    }

    // tag::forward[]
    public DMatrixRMaj forward(DMatrixRMaj x) {
        input = x;
        DMatrixRMaj y = new DMatrixRMaj(x.numRows, x.numCols);
        for (int i = 0; i < x.getNumElements(); i++) {
            y.data[i] = value(x.data[i], tanh);
        }
        return y;
    }

    static double value(double x, boolean tanh) {
        if (tanh) {
            return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
        }
        return 0.5 * x * (1 + Erf.erf(x * SQRT_HALF));
    }
    // end::forward[]

    // tag::backward[]
    public DMatrixRMaj backward(DMatrixRMaj dy) {
        DMatrixRMaj dx = new DMatrixRMaj(dy.numRows, dy.numCols);
        for (int i = 0; i < dy.getNumElements(); i++) {
            dx.data[i] = dy.data[i] * derivative(input.data[i], tanh);
        }
        return dx;
    }

    static double derivative(double x, boolean tanh) {
        if (tanh) {
            double u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
            double t = Math.tanh(u);
            double du = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du;
        }
        double cdf = 0.5 * (1 + Erf.erf(x * SQRT_HALF));            // Φ(x)
        double pdf = INV_SQRT_2PI * Math.exp(-0.5 * x * x);         // φ(x)
        return cdf + x * pdf;
    }
    // end::backward[]
}
