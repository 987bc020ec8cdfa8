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

    public String shapeText() {
        return Arrays.toString(shape);
    }
}
