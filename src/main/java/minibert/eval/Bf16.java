package minibert.eval;

import minibert.model.checkpoint.Tensor;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * bfloat16: the top 16 bits of an IEEE float32 (1 sign bit, 8 exponent bits, 7 fraction bits). It keeps
 * float32's range and gives up precision: about 2–3 significant decimal digits (a relative spacing of
 * 2⁻⁷ ≈ 0.8% between neighbours).
 *
 * <p>Rounding is to the nearest bfloat16, ties to the one whose last fraction bit is 0 (round half to even,
 * IEEE 754's default and what {@code torch.Tensor.bfloat16()} does). Rounding is done from the double
 * directly, never through a float first: rounding twice (double → float → bfloat16) can land on the wrong
 * neighbour when the first rounding makes an exact tie out of a value that was not one.
 */
public final class Bf16 {

    /** The largest finite bfloat16, (2 − 2⁻⁷)·2¹²⁷ ≈ 3.39·10³⁸. */
    public static final double MAX = 0x1.FEp127;
    /** The smallest positive normal bfloat16, 2⁻¹²⁶ (as float32's). */
    public static final double MIN_NORMAL = 0x1.0p-126;
    /** The smallest positive subnormal bfloat16, 2⁻¹³³. */
    public static final double MIN_VALUE = 0x1.0p-133;

    private static final int DROPPED = 52 - 7;                 // fraction bits of a double that bfloat16 lacks
    private static final long HALF_MINUS_ONE = (1L << (DROPPED - 1)) - 1;

    private Bf16() {
    }

    /**
     * x rounded to the nearest bfloat16, ties to even, returned as the (exactly representable) double. NaN
     * stays NaN, ±∞ and ±0 stay themselves, a finite value that rounds beyond {@link #MAX} becomes ±∞ (as a
     * float32 overflow does), and values below {@link #MIN_NORMAL} round on the subnormal grid of spacing
     * 2⁻¹³³.
     */
    // tag::round[]
    public static double round(double x) {
        if (Double.isNaN(x) || Double.isInfinite(x) || x == 0) {
            return x;
        }
        double a = Math.abs(x);
        if (a < MIN_NORMAL) {                                        // subnormal: a fixed grid of 2⁻¹³³
            return Math.rint(x * 0x1.0p133) * MIN_VALUE;             // exact scaling; rint ties to even
        }
        long bits = Double.doubleToRawLongBits(x);
        long lastKept = (bits >>> DROPPED) & 1;                      // the last fraction bit that stays
        bits += HALF_MINUS_ONE + lastKept;                           // carries into the kept bits iff more
        bits &= -1L << DROPPED;                                      // than half, or exactly half and odd
        double r = Double.longBitsToDouble(bits);
        return Math.abs(r) > MAX ? Math.copySign(Double.POSITIVE_INFINITY, x) : r;
    }
    // end::round[]

    /** Rounds the first {@code n} entries of {@code x} in place. */
    public static void round(double[] x, int n) {
        for (int i = 0; i < n; i++) {
            x[i] = round(x[i]);
        }
    }

    /**
     * The 16-bit pattern of {@code round(x)}: the top half of its float32 bits. NaN becomes the quiet NaN
     * 0x7FC0 (with its sign).
     */
    public static short bits(double x) {
        double r = round(x);
        if (Double.isNaN(r)) {
            return (short) ((Double.doubleToRawLongBits(x) < 0 ? 0x8000 : 0) | 0x7FC0);
        }
        return (short) (Float.floatToRawIntBits((float) r) >>> 16);   // exact: r is a bfloat16
    }

    /** The value of a 16-bit pattern. */
    public static double value(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /**
     * Writes tensors as a safetensors file of dtype {@code BF16} (each value rounded by {@link #round}): an
     * 8-byte little-endian header length, the JSON header padded with spaces to a multiple of 8, then the
     * 2-byte values, little-endian. Written to a temporary sibling and renamed into place.
     */
    public static void writeSafetensors(Path file, Map<String, Tensor> tensors) throws IOException {
        StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        for (var e : tensors.entrySet()) {
            long bytes = 2L * e.getValue().values().length;
            header.append(",\"").append(e.getKey()).append("\":{\"dtype\":\"BF16\",\"shape\":")
                    .append(java.util.Arrays.toString(e.getValue().shape()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        header.append('}');
        while ((header.toString().getBytes(StandardCharsets.UTF_8).length) % 8 != 0) {
            header.append(' ');
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).array());
            out.write(json);
            for (Tensor t : tensors.values()) {
                for (double v : t.values()) {
                    short b = bits(v);
                    out.write(b & 0xFF);
                    out.write((b >>> 8) & 0xFF);
                }
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
