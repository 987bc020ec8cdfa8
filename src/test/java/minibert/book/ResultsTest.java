package minibert.book;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResultsTest {

    @TempDir
    Path dir;

    private Results open() throws IOException {
        return new Results(dir.resolve("results"), new BuildInfo("abc123", "25", 2, Mode.QUICK));
    }

    @Test
    void aTableBecomesAnAnchoredFragmentWithProvenance() throws IOException {
        Results r = open();
        r.publish("gradcheck/attention").seed(7).data("imdb", "94dbef8e70102a56520983581d069792334e28c2")
                .table("Gradient check", List.of("Tensor", "Error"), List.of(List.of("query.weight", "1.0e-9")));
        r.finish();
        String fragment = Files.readString(dir.resolve("results/gradcheck/attention.adoc"));
        assertTrue(fragment.contains("[#result-gradcheck-attention.result]"), fragment);
        assertTrue(fragment.contains("|query.weight |pass:[<span class=\"nowrap\">1.0e-9</span>]"), fragment);
        assertTrue(fragment.contains("result gradcheck/attention · commit abc123 · seed 7 · data imdb 94dbef8e7010"), fragment);
        JsonNode index = new ObjectMapper().readTree(dir.resolve("results/index.json").toFile());
        assertEquals("gradcheck/attention", index.get("results").get(0).get("name").asText());
        assertEquals(7, index.get("results").get(0).get("seed").asInt());
    }

    @Test
    void aLaterProducerReadsAnEarlierOnesAttributesOnceWritten() throws IOException {
        Results r = open();
        assertTrue(r.findAttribute("model/step", "seconds").isEmpty(), "nothing published yet");
        Publication p = r.publish("model/step").attribute("seconds", "0.61");
        assertTrue(r.findAttribute("model/step", "seconds").isEmpty(), "not before the result is written");
        p.number("Step time", 0.61, "%.2f");
        assertEquals("0.61", r.findAttribute("model/step", "seconds").orElseThrow());
        assertTrue(r.findAttribute("model/step", "minutes").isEmpty());
    }

    @Test
    void inlineNumbersBecomeAttributes() throws IOException {
        Results r = open();
        r.publish("train/final-loss").attribute("steps", "100").number("Final loss", 3.14159, "%.3f");
        r.finish();
        String attrs = Files.readString(dir.resolve("results/attributes.adoc"));
        assertTrue(attrs.contains(":result-train-final-loss: 3.142\n"), attrs);
        assertTrue(attrs.contains(":result-train-final-loss-steps: 100\n"), attrs);
    }

    @Test
    void openingEmptiesTheFolderSoNoStaleResultSurvives() throws IOException {
        Results first = open();
        first.publish("old/result").value("Old", "1");
        first.finish();
        assertTrue(Files.exists(dir.resolve("results/old/result.adoc")));
        Results second = open();
        second.finish();
        assertFalse(Files.exists(dir.resolve("results/old/result.adoc")), "a result of an earlier build survived");
        assertFalse(Files.readString(dir.resolve("results/attributes.adoc")).contains("result-old-result"));
    }

    @Test
    void aFailedCheckIsWrittenAndRecorded() throws IOException {
        Results r = open();
        r.publish("gradcheck/linear").check("Linear gradients", false, "max rel. error 3e-5 > 1e-7");
        r.publish("gradcheck/gelu").check("GELU gradients", true, "max rel. error 2e-10");
        r.finish();
        assertEquals(1, r.failures().size());
        assertTrue(r.failures().get(0).contains("gradcheck/linear"));
        assertTrue(Files.readString(dir.resolve("results/gradcheck/linear.adoc")).contains("*FAILED*"));
    }

    @Test
    void namesAreValidatedAndUnique() throws IOException {
        Results r = open();
        assertThrows(IllegalArgumentException.class, () -> r.publish("Bad Name"));
        assertThrows(IllegalArgumentException.class, () -> r.publish("trailing/"));
        r.publish("a/b").value("x", "1");
        assertThrows(IllegalStateException.class, () -> r.publish("a/b"));
    }

    @Test
    void aRowOfTheWrongWidthIsRejected() throws IOException {
        Results r = open();
        assertThrows(IllegalArgumentException.class, () -> r.publish("t/x")
                .table("T", List.of("a", "b"), List.of(List.of("only one"))));
    }

    @Test
    void markupInCellsIsShownLiterally() {
        assertEquals("plain 1.5e-9", Fragments.cell("plain 1.5e-9"));
        assertEquals("pass:c[a\\|b *c* \\]]", Fragments.cell("a|b *c* ]"));
    }

    @Test
    void numbersAndShapesInTableCellsStayOnOneLine() {
        assertEquals("query.weight", Fragments.tableCell("query.weight"), "no number: as before");
        assertEquals("2048", Fragments.tableCell("2048"), "nothing to break inside: as before");
        assertEquals("pass:[<span class=\"nowrap\">[12, 12\\]</span>]", Fragments.tableCell("[12, 12]"));
        assertEquals("pass:[<span class=\"nowrap\">1.7e-10</span> (absolute)]", Fragments.tableCell("1.7e-10 (absolute)"));
        assertEquals("pass:[41.2 (<span class=\"nowrap\">38.0–43.1</span>)]", Fragments.tableCell("41.2 (38.0–43.1)"));
        assertEquals("pass:[<span class=\"nowrap\">1,881,991</span>]", Fragments.tableCell("1,881,991"));
        assertEquals("pass:[##h &lt;<span class=\"nowrap\">3 × 4</span>&gt; a\\|b]", Fragments.tableCell("##h <3 × 4> a|b"),
                "markup characters stay literal inside the passthrough");
        assertEquals("ｃｋ (U+FF43 U+FF4B)", Glyphs.visible("ｃｋ"));
        assertEquals("##h ★ дом", Glyphs.visible("##h ★ дом"), "Latin, symbols and Cyrillic are shown as they are");
    }

    @Test
    void plotsAreWrittenAsSvgBesideTheFragment() throws IOException {
        Results r = open();
        Plot p = Plot.of("step", "loss").line("train", new double[] {1, 2, 3}, new double[] {3, 2, 1.5})
                .reference("floor", 1.0);
        r.publish("train/curve").plot("Loss", p);
        String svg = Files.readString(dir.resolve("results/train/curve.svg"));
        assertTrue(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""), svg);
        assertTrue(svg.contains("<path d=\"M"), svg);
        assertTrue(Files.readString(dir.resolve("results/train/curve.adoc")).contains("image::results/train/curve.svg["));
    }
}
