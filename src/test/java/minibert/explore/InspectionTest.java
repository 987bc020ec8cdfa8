package minibert.explore;

import minibert.model.BertForMaskedLM;
import minibert.text.WordPiece;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A batch of sequences of lengths 7, 4 and 5 gives each the views it gets alone. */
class InspectionTest {

    static List<Sequence> sequences(WordPiece wp) {
        return List.of(Sequence.of("a", wp, "movie was unaffable", null, 7),
                Sequence.of("b", wp, "bad film", null, 7),
                Sequence.of("c", wp, "it is", "fun", 7));
    }

    @Test
    void batchedViewsEqualViewsOfOneSequenceAtATime() {
        BertForMaskedLM model = SmallModel.model(5);
        List<Sequence> seqs = sequences(SmallModel.wordPiece());
        assertEquals(List.of(7, 4, 6), seqs.stream().map(Sequence::length).toList());
        List<DMatrixRMaj> batched = new ArrayList<>(), alone = new ArrayList<>();
        Inspection.run(model, seqs, 3, (i, s, v) -> {
            batched.add(v.attention(1, 2));
            batched.add(v.hidden(2));
        });
        for (Sequence s : seqs) {
            Inspection.run(model, List.of(s), 1, (i, seq, v) -> {
                alone.add(v.attention(1, 2));
                alone.add(v.hidden(2));
            });
        }
        for (int k = 0; k < batched.size(); k++) {
            assertEquals(alone.get(k).numRows, batched.get(k).numRows);
            assertArrayEquals(alone.get(k).data, batched.get(k).data, 1e-12, "view " + k);
        }
        for (int k = 0; k < batched.size(); k += 2) {
            DMatrixRMaj p = batched.get(k);
            for (int i = 0; i < p.numRows; i++) {
                double sum = 0;
                for (int j = 0; j < p.numCols; j++) {
                    sum += p.get(i, j);
                }
                assertEquals(1, sum, 1e-12, "the real keys hold every weight: sequence " + k / 2 + " row " + i);
            }
        }
    }

    @Test
    void statisticsOfTheSmallModelAreMeansOverItsRows() {
        BertForMaskedLM model = SmallModel.model(6);
        HeadStatistics grid = new HeadStatistics(2, 3);
        Inspection.run(model, sequences(SmallModel.wordPiece()), 2, (i, s, v) -> {
            for (int l = 0; l < 2; l++) {
                for (int h = 0; h < 3; h++) {
                    grid.add(l, h, v.attention(l, h), s);
                }
            }
        });
        assertEquals(7 + 4 + 6, grid.rows(0, 0, HeadStatistics.Statistic.CLS));
        assertEquals(3, grid.rows(1, 1, HeadStatistics.Statistic.SAME_WORD), "un ##aff ##able");
        double e = grid.mean(1, 2, HeadStatistics.Statistic.ENTROPY);
        org.junit.jupiter.api.Assertions.assertTrue(e > 0 && e < Math.log(7), "entropy " + e);
    }

    @Test
    void aSequenceLongerThanTheModelIsRefused() {
        Sequence eight = new Sequence("long", new int[8], new int[8], new String[] {"a", "b", "c", "d", "e", "f", "g", "h"});
        assertThrows(IllegalArgumentException.class, () -> Inspection.run(SmallModel.model(1), List.of(eight), 2, (i, s, v) -> { }));
    }
}
