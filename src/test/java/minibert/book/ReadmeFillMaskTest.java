package minibert.book;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import minibert.model.checkpoint.Checkpoint;
import org.junit.jupiter.api.Test;

/** The README's fill-mask demonstration is what the recorded weights of step 10,000 predict, to the last digit. */
class ReadmeFillMaskTest {

    static final Path PROJECT = Path.of(System.getProperty("minibert.project.dir", ".")).toAbsolutePath();
    static final String BEGIN = "<!-- fill-mask: begin -->", END = "<!-- fill-mask: end -->";

    @Test
    void theReadmeShowsWhatTheWeightsPredict() throws Exception {
        String readme = Files.readString(PROJECT.resolve("README.md"));
        int b = readme.indexOf(BEGIN), e = readme.indexOf(END);
        assertTrue(b >= 0 && e > b, "README.md has its fill-mask block between " + BEGIN + " and " + END);
        String block = readme.substring(b + BEGIN.length(), e).strip();
        assertTrue(block.startsWith("```text\n") && block.endsWith("```"), "the block is one ```text fence");
        String shown = block.substring("```text\n".length(), block.length() - 3);
        Path weights = PROJECT.resolve(RecordResults.RECORD).resolve("step-" + RecordResults.MILESTONE);
        String predicted = RecordResults.fillMaskText(Checkpoint.loadPretrained(weights));
        assertEquals(predicted, shown, "README.md's fill-mask block against " + weights);
    }
}
