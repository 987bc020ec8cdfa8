package minibert.eval;

import minibert.model.checkpoint.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Bf16Test {

    private static final double ULP_AT_ONE = 0x1.0p-7;

    @Test
    void specialValuesPassThrough() {
        assertTrue(Double.isNaN(Bf16.round(Double.NaN)));
        assertEquals(Double.POSITIVE_INFINITY, Bf16.round(Double.POSITIVE_INFINITY));
        assertEquals(Double.NEGATIVE_INFINITY, Bf16.round(Double.NEGATIVE_INFINITY));
        assertEquals(Double.doubleToRawLongBits(0.0), Double.doubleToRawLongBits(Bf16.round(0.0)));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(Bf16.round(-0.0)));
        assertEquals((short) 0x7FC0, Bf16.bits(Double.NaN));
        assertEquals((short) 0x7F80, Bf16.bits(Double.POSITIVE_INFINITY));
        assertEquals((short) 0xFF80, Bf16.bits(Double.NEGATIVE_INFINITY));
    }

    @Test
    void representableValuesAreUnchanged() {
        for (double x : new double[] {1, -1, 1 + ULP_AT_ONE, 0.5, 3.0, Bf16.MAX, -Bf16.MAX, Bf16.MIN_NORMAL, Bf16.MIN_VALUE,
                127 * Bf16.MIN_VALUE}) {
            assertEquals(x, Bf16.round(x), "x = " + x);
        }
    }

    @Test
    void tiesGoToTheEvenNeighbour() {
        // 1 + 2⁻⁸ lies halfway between 1 (fraction ...0, even) and 1 + 2⁻⁷ (odd): down to 1
        assertEquals(1.0, Bf16.round(1 + ULP_AT_ONE / 2));
        // 1 + 3·2⁻⁸ lies halfway between 1 + 2⁻⁷ (odd) and 1 + 2⁻⁶ (even): up
        assertEquals(1 + 2 * ULP_AT_ONE, Bf16.round(1 + 3 * ULP_AT_ONE / 2));
        assertEquals(-1.0, Bf16.round(-(1 + ULP_AT_ONE / 2)));
        // just off the tie, the nearer neighbour wins
        assertEquals(1 + ULP_AT_ONE, Bf16.round(1 + ULP_AT_ONE / 2 + 0x1.0p-40));
        assertEquals(1.0, Bf16.round(1 + ULP_AT_ONE / 2 - 0x1.0p-40));
    }

    @Test
    void overflowBecomesInfinityAsInFloat32() {
        double halfUlp = 0x1.0p119;                            // the spacing at MAX is 2¹²⁰
        assertEquals(Double.POSITIVE_INFINITY, Bf16.round(Bf16.MAX + halfUlp));      // a tie; MAX is odd
        assertEquals(Bf16.MAX, Bf16.round(Bf16.MAX + halfUlp * 0.99));
        assertEquals(Double.NEGATIVE_INFINITY, Bf16.round(-1e300));
        assertEquals(Double.POSITIVE_INFINITY, Bf16.round(Double.MAX_VALUE));
    }

    @Test
    void subnormalsRoundOnTheirOwnGrid() {
        assertEquals(0.0, Bf16.round(Bf16.MIN_VALUE / 2));                       // tie between 0 (even) and 1 ulp
        assertEquals(2 * Bf16.MIN_VALUE, Bf16.round(1.5 * Bf16.MIN_VALUE));     // tie between 1 (odd) and 2
        assertEquals(Bf16.MIN_VALUE, Bf16.round(0.75 * Bf16.MIN_VALUE));
        assertEquals(Bf16.MIN_NORMAL, Bf16.round(Bf16.MIN_NORMAL - 0.4 * Bf16.MIN_VALUE));
        assertEquals(-Bf16.MIN_VALUE, Bf16.round(-0.75 * Bf16.MIN_VALUE));
        assertEquals(0.0, Bf16.round(1e-300));
    }

    /** For inputs that are floats, rounding agrees with the usual bit trick on the float's bits. */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {3, 17, 2024})
    void agreesWithTheFloat32BitTrickOnFloats(long seed) {
        Random random = new Random(seed);
        for (int i = 0; i < 200_000; i++) {
            float f = Float.intBitsToFloat(random.nextInt());
            if (Float.isNaN(f)) {
                continue;
            }
            int bits = Float.floatToRawIntBits(f);
            short expected = (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
            assertEquals(expected, Bf16.bits(f), "seed " + seed + ", float bits " + Integer.toHexString(bits));
            assertEquals(Bf16.value(expected), Bf16.round(f), "seed " + seed + ", float bits " + Integer.toHexString(bits));
        }
    }

    /** Rounding a double directly is not rounding it to float first: the double rounding case. */
    @Test
    void roundsFromTheDoubleNotThroughAFloat() {
        // just above the tie 1 + 2⁻⁸, closer than float's precision can say: float rounds it onto the tie
        double x = 1 + ULP_AT_ONE / 2 + 0x1.0p-30;
        assertEquals(1 + ULP_AT_ONE / 2, (double) (float) x);
        assertEquals(1 + ULP_AT_ONE, Bf16.round(x));            // directly: above the tie, up
        assertEquals(1.0, Bf16.round((float) x));               // through the float: a tie, to even
    }

    @Test
    void writesASafetensorsFileOfTwoBytesPerValue(@TempDir Path dir) throws Exception {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("a.weight", Tensor.of(new long[] {2, 3}, new double[] {1, -2, 0.1, 3.5, 1e-3, 7}));
        tensors.put("a.bias", Tensor.of(new long[] {3}, new double[] {0, 1 + ULP_AT_ONE / 2, -0.0}));
        Path file = dir.resolve("m.safetensors");
        Bf16.writeSafetensors(file, tensors);
        byte[] bytes = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8);
        assertEquals(8 + n + 2 * 9, bytes.length);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.contains("\"a.weight\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,12]}"), header);
        assertTrue(header.contains("\"a.bias\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[12,18]}"), header);
        ByteBuffer data = ByteBuffer.wrap(bytes, 8 + (int) n, 18).order(ByteOrder.LITTLE_ENDIAN);
        double[] expected = {1, -2, Bf16.round(0.1), 3.5, Bf16.round(1e-3), 7, 0, 1, -0.0};
        for (double e : expected) {
            assertEquals(e, Bf16.value(data.getShort()));
        }
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file is left");
        }
    }
}
