package minibert.tensor;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The split experiment covers every row once, and its figures add up (its timings themselves are not judged). */
class SplitExperimentTest {

    @Test
    void piecesTileTheRowsOfC() {
        List<int[]> ranges = SplitExperiment.pieceRows();
        assertEquals(Math.min(Gemm.PIECES_PER_THREAD * Pool.threads(), SplitExperiment.M / Gemm.MR), ranges.size());
        int next = 0;
        for (int[] r : ranges) {
            assertEquals(next, r[0], "pieces are contiguous");
            assertTrue(r[1] > r[0], "no piece is empty");
            assertTrue(r[0] % Gemm.MR == 0, "a piece starts on a micro-tile row");
            next = r[1];
        }
        assertEquals(SplitExperiment.M, next, "the pieces end at the last row");
    }

    @Test
    void theFiguresAddUp() {
        SplitExperiment.Result r = SplitExperiment.run(3);
        assertEquals(SplitExperiment.pieceRows().size(), r.pieces());
        assertTrue(r.callerPieces() >= 0 && r.callerPieces() <= r.pieces(), r.toString());
        assertEquals(r.pieces(), r.callerPieces() + r.otherPieces(), 0, r.toString());
        assertTrue(r.pieceAlone() > 0 && r.dynamic() > 0 && r.fixedShares() > 0, r.toString());
        assertTrue(Double.isNaN(r.callerPerPiece()) || r.callerPerPiece() > 0, r.toString());
        assertEquals(1.0, SplitExperiment.median(new double[] {3, Double.NaN, 1, 0}), 0);
        assertTrue(Double.isNaN(SplitExperiment.median(new double[] {Double.NaN})));
    }
}
