package minibert.fuzz;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A write that fails half-way (a full disk, simulated) stops the run with one message naming the file or
 * folder, the reason and the last good checkpoint; the checkpoint before is as it was; nothing half-written
 * stays; the next invocation resumes and ends as an uninterrupted run, bit for bit. Every case of
 * {@link DiskFullExperiment#cases()}: each file of a checkpoint, a metrics line, provenance.json.
 */
class DiskFullExperimentTest {

    @Test
    void aFullDiskLosesNothingAndTheRunResumesFromTheLastGoodCheckpoint() throws IOException {
        List<DiskFullExperiment.Outcome> outcomes = DiskFullExperiment.run();
        assertEquals(DiskFullExperiment.cases().size(), outcomes.size());
        for (DiskFullExperiment.Outcome o : outcomes) {
            System.out.println(o.failing().what() + ": " + o.message() + " | intact " + o.previousIntact() + ", left "
                    + o.leftovers() + ", resumed from " + o.resumedFrom() + ", identical " + o.identical());
            String what = o.failing().what();
            assertTrue(o.message() != null, what + ": the run did not stop");
            assertTrue(o.named(), what + ": the message must name the file, the reason and the last good checkpoint: " + o.message());
            assertTrue(o.previousIntact(), what + ": the checkpoint before (or the file) changed");
            assertEquals(List.of(), o.leftovers(), what + ": left behind");
            assertTrue(o.identical(), what + ": the resumed run ended elsewhere");
            assertTrue(o.passed(), what);
        }
        // a checkpoint that failed resumes from the one before it; provenance fails after the last step
        assertEquals(2, outcomes.get(0).resumedFrom());
        assertEquals(8, outcomes.get(outcomes.size() - 1).resumedFrom());
    }
}
