package minibert.book;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BrowserSupportTest {

    @ParameterizedTest(name = "chromium={0} driver={1} CI={2} -> {3}")
    @CsvSource(nullValues = "null", textBlock = """
            true,  true,  null,  RUN
            true,  true,  true,  RUN
            false, true,  null,  SKIP
            true,  false, null,  SKIP
            false, false, false, SKIP
            false, false, 0,     SKIP
            false, true,  true,  FAIL
            true,  false, true,  FAIL
            false, false, 1,     FAIL
            """)
    void aMissingBrowserSkipsLocallyAndFailsUnderCi(boolean chromium, boolean driver, String ci, BrowserSupport.Verdict expected) {
        BrowserSupport.Decision d = BrowserSupport.decide(chromium, driver, ci);
        assertEquals(expected, d.verdict(), d.message());
        if (expected != BrowserSupport.Verdict.RUN) {
            assertTrue(d.message().contains("apt-get install chromium chromium-driver"), d.message());
        }
    }
}
