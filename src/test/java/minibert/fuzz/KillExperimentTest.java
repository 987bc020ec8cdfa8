package minibert.fuzz;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The kill experiment, smaller than the build's (which {@code minibert.book.FaultResults} publishes): child JVMs
 * training a tiny model are killed with {@code kill -9}, among them once as soon as a checkpoint's temporary
 * folder appears, so that a kill in the middle of a checkpoint write is certain; every checkpoint left loads,
 * every child resumes from the newest, and the run ends with the weights of an uninterrupted one, byte for byte.
 */
class KillExperimentTest {

    static final long SEED = 4_211;

    @Test
    void noKillLosesTheRunAndTheOutcomeIsTheUninterruptedOnes() throws IOException, InterruptedException {
        String mirror = System.getProperty("minibert.data.mirror", "");
        assumeTrue(!mirror.isBlank() && !mirror.startsWith("${"), "no data mirror configured (MINIBERT_DATA_MIRROR)");
        int kills = Integer.getInteger("kill.kills", 4);
        KillExperiment.Settings settings = new KillExperiment.Settings(kills, Integer.getInteger("kill.chains", 1), 12, 1, SEED, 60, 0.35,
                Double.parseDouble(System.getProperty("kill.aimed", "0.5")));
        KillExperiment.Report r = KillExperiment.run(Path.of(System.getProperty("minibert.project.dir", ".")), settings,
                System.out::println);
        System.out.printf("%d kills (%d in start-up, %d in training, %d aimed), %d mid-write; %d resumes; %d checkpoints "
                        + "loaded, %d unloadable; identical %s, same log %s; %.1f s%n", r.kills().size(),
                r.of(KillExperiment.Moment.STARTUP), r.of(KillExperiment.Moment.TRAINING), r.of(KillExperiment.Moment.AIMED),
                r.midWrite(), r.resumes(), r.checkpointsLoaded(), r.unloadable(), r.identical(), r.sameLog(), r.seconds());
        assertEquals(List.of(), r.problems(), "seed " + SEED);
        assertEquals(kills, r.kills().size(), "every kill was made before the run ended (seed " + SEED + ")");
        assertEquals(0, r.unloadable());
        assertTrue(r.identical() && r.sameLog(), "seed " + SEED);
        assertTrue(r.midWrite() >= 1, "a kill aimed at a checkpoint write left its temporary folder (seed " + SEED + ")");
        assertTrue(r.resumes() >= 1, "the last child at least resumed (seed " + SEED + ")");
    }
}
