package minibert.book;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The Evaluation results' sentences that depend on what the fine-tuned classifier did. */
class EvaluationVerdictsTest {

    @Test
    void aClassifierThatPredictsOneClassForEverySentenceIsNamed() {
        assertEquals("positive", EvaluationResults.oneClass(new int[][] {{0, 192}, {0, 208}}));
        assertEquals("negative", EvaluationResults.oneClass(new int[][] {{191, 0}, {207, 0}}));
        assertNull(EvaluationResults.oneClass(new int[][] {{150, 42}, {31, 177}}));
    }

    @Test
    void theBf16VerdictClaimsNothingFromAOneClassClassifier() {
        String v = EvaluationResults.bf16Verdict(true, true, "positive");
        assertTrue(v.startsWith("barely moved the masked-LM evaluation") && v.contains("SST-2 says nothing here"), v);
        assertTrue(EvaluationResults.bf16Verdict(true, true, null).contains("the model's decisions rest on differences"));
        assertTrue(EvaluationResults.bf16Verdict(true, false, null).startsWith("moved the evaluation by more"));
        assertTrue(EvaluationResults.bf16Verdict(false, true, "negative").startsWith("moved the masked-LM evaluation"));
    }
}
