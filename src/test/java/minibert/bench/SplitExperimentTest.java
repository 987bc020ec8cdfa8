package minibert.bench;

import minibert.tensor.Gemm;
import minibert.tensor.Pool;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The split experiment covers every row once, and its figures add up (its timings themselves are not judged). */
class SplitExperimentTest {

    @Test
    void piecesTileTheRowsOfCAsGemmCutsThem() {
        for (int m : new int[] {2048, 301, 7}) {
            List<int[]> ranges = SplitExperiment.pieceRows(m);
            int atLeast = Math.max(1, Math.min(Gemm.PIECES_PER_THREAD * Pool.threads(), m / Gemm.MR));
            assertTrue(ranges.size() >= atLeast, "m = " + m + ": at least " + atLeast + " pieces, " + ranges.size());
            assertEquals(Math.max(atLeast, (m + Gemm.MC - 1) / Gemm.MC), ranges.size(), "m = " + m + ": pieces no taller than MC");
            int next = 0;
            for (int[] r : ranges) {
                assertEquals(next, r[0], "pieces are contiguous");
                assertTrue(r[1] > r[0], "no piece is empty");
                assertTrue(r[0] % Gemm.MR == 0, "a piece starts on a micro-tile row");
                assertTrue(r[1] - r[0] <= Gemm.MC, "a piece is no taller than a block of A");
                next = r[1];
            }
            assertEquals(m, next, "the pieces end at the last row");
        }
    }

    @Test
    void theFiguresAddUpUnderBothConditions() {
        ProductShape small = new ProductShape("x·Wᵀ", 301, 37, 45, false, true, 1);
        List<SplitExperiment.Result> results = SplitExperiment.run(small, 3);
        assertEquals(2, results.size());
        for (SplitExperiment.Result r : results) {
            assertEquals(SplitExperiment.pieceRows(small.m()).size(), r.pieces());
            assertTrue(r.callerPieces().median() >= 0 && r.callerPieces().median() <= r.pieces(), r.toString());
            assertEquals(r.pieces(), r.callerPieces().median() + r.otherPieces(), 0, r.toString());
            assertTrue(r.pieceAlone().median() > 0 && r.dynamic().median() > 0 && r.fixedShares().median() > 0, r.toString());
            assertEquals(3, r.dynamic().runs());
            assertEquals(3, r.piecesVersusFixed().rounds());
        }
        assertThrows(IllegalArgumentException.class, () -> SplitExperiment.run(new ProductShape("AᵀB", 8, 8, 8, true, false, 1), 1));
    }
}
