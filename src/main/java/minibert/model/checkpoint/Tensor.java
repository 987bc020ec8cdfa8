package minibert.model.checkpoint;

import java.util.Arrays;

/**
 * A named tensor's shape and values, row-major, as a safetensors file holds it.
 *
 * @param shape  dimensions, e.g. {@code [8192, 192]} or {@code [192]}
 * @param values the entries, row-major; their count is the product of the shape
 */
public record Tensor(long[] shape, double[] values) {

    public Tensor {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        if (n != values.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n + " values, found " + values.length);
        }
    }

    /** A tensor holding a copy of the first entries of {@code values}, as many as {@code shape} holds. */
    public static Tensor of(long[] shape, double[] values) {
        return new Tensor(shape, Arrays.copyOf(values, count(shape)));
    }

    /** A tensor holding the first entries of float {@code values}, widened exactly to double. */
    public static Tensor of(long[] shape, float[] values) {
        double[] d = new double[count(shape)];
        for (int i = 0; i < d.length; i++) {
            d[i] = values[i];
        }
        return new Tensor(shape, d);
    }

    /** Copies the entries into the start of {@code target}. */
    public void copyTo(double[] target) {
        System.arraycopy(values, 0, target, 0, values.length);
    }

    /** Copies the entries into the start of {@code target}, rounded to float (exact for what a float tensor wrote). */
    public void copyTo(float[] target) {
        for (int i = 0; i < values.length; i++) {
            target[i] = (float) values[i];
        }
    }

    private static int count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return Math.toIntExact(n);
    }

    public String shapeText() {
        return Arrays.toString(shape);
    }
}
