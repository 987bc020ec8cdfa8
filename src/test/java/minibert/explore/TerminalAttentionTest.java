package minibert.explore;

import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TerminalAttentionTest {

    @Test
    void shadesFollowTheFixedSteps() {
        assertEquals('·', TerminalAttention.shade(0.0));
        assertEquals('·', TerminalAttention.shade(0.0499));
        assertEquals('░', TerminalAttention.shade(0.05));
        assertEquals('▒', TerminalAttention.shade(0.15));
        assertEquals('▓', TerminalAttention.shade(0.35));
        assertEquals('█', TerminalAttention.shade(0.6));
        assertEquals('█', TerminalAttention.shade(1.0));
    }

    @Test
    void aPreviousTokenHeadDrawsADiagonal() {
        String[] tokens = {"[CLS]", "the", "movie", "was", "fun", "[SEP]", "!"};
        DMatrixRMaj p = new DMatrixRMaj(7, 7);
        p.set(0, 0, 1);
        for (int i = 1; i < 7; i++) {
            p.set(i, i - 1, 0.7);
            p.set(i, i, 0.3);
        }
        String text = TerminalAttention.render(p, tokens, "layer 0, head 1");
        String[] lines = text.split("\n");
        assertEquals("layer 0, head 1", lines[0]);
        assertTrue(lines[2].startsWith("  0  [CLS] ██"), lines[2]);
        assertTrue(lines[4].contains("· ██▒▒· "), lines[4]);
        assertTrue(text.contains("  2  movie → ") && text.contains("  1  the   0.700"), text);
    }
}
