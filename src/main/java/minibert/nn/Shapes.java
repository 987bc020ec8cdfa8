package minibert.nn;

import org.ejml.data.DMatrixRMaj;

/** Shape assertions: every forward pass checks its inputs and names the layer when they are wrong. */
public final class Shapes {

    private Shapes() {
    }

    /** Throws naming {@code layer}, what was expected and what was found, unless {@code m} is [rows, cols]. */
    public static void require(String layer, String what, DMatrixRMaj m, int rows, int cols) {
        if (m.numRows != rows || m.numCols != cols) {
            throw new IllegalArgumentException(layer + ": " + what + " must be [" + rows + ", " + cols + "], found ["
                    + m.numRows + ", " + m.numCols + "]");
        }
    }

    /** Throws naming {@code layer} unless {@code m} has {@code cols} columns. */
    public static void requireCols(String layer, String what, DMatrixRMaj m, int cols) {
        if (m.numCols != cols) {
            throw new IllegalArgumentException(layer + ": " + what + " must be [N, " + cols + "], found ["
                    + m.numRows + ", " + m.numCols + "]");
        }
    }
}
