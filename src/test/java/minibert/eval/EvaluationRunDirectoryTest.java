package minibert.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kept weights (RUN/step-N) and rolling checkpoints (RUN/checkpoints/step-N) are both read as parts of their run. */
class EvaluationRunDirectoryTest {

    @Test
    void keptWeightsBelongToTheirRun(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        Files.createDirectories(run.resolve("checkpoints/step-0000020"));
        Files.createDirectories(run.resolve("step-10000"));
        Files.createDirectories(dir.resolve("loose/step-7"));
        Files.writeString(run.resolve("run.json"), "{\"format\":1,\"settings\":{\"train.seed\":9,\"train.sequenceLength\":13,"
                + "\"train.documentLimit\":5,\"train.maskProbability\":0.2}}");
        Files.writeString(run.resolve("checkpoints/step-0000020/trainer_state.json"), "{\"step\":20}");

        assertEquals(run.resolve("run.json").toAbsolutePath(), Evaluation.runJson(run.resolve("step-10000")));
        assertEquals(run.resolve("run.json").toAbsolutePath(), Evaluation.runJson(run.resolve("checkpoints/step-0000020")));
        assertNull(Evaluation.runJson(dir.resolve("loose/step-7")));

        assertEquals(10_000, Evaluation.step(run.resolve("step-10000")));
        assertEquals(20, Evaluation.step(run.resolve("checkpoints/step-0000020")));
        assertEquals(-1, Evaluation.step(dir.resolve("loose/step-7")));

        var kept = Evaluation.runSettings(run.resolve("step-10000"), 64);
        assertEquals(9, kept.seed());
        assertEquals(13, kept.length());
        assertEquals(5, kept.documentLimit());
    }
}
