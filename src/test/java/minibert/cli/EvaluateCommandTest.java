package minibert.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EvaluateCommandTest {

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void aMissingCheckpointIsAUsageError(@TempDir Path dir) {
        Result r = run("evaluate", dir.resolve("nope").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("does not exist"), r.err());
        assertEquals(2, run("evaluate").code(), "the checkpoint is required");
    }

    @Test
    void aFolderThatIsNeitherACheckpointNorARunIsRefused(@TempDir Path dir) {
        Result r = run("evaluate", dir.toString(), "--config", Path.of("configs/eval/default.yaml").toAbsolutePath().toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("neither a checkpoint folder"), r.err());
    }

    @Test
    void badOptionsAreNamed(@TempDir Path dir) throws Exception {
        String config = Path.of("configs/eval/default.yaml").toAbsolutePath().toString();
        Result steps = run("evaluate", dir.toString(), "--config", config, "--overfit-one-batch", "--overfit-steps", "0");
        assertEquals(2, steps.code());
        assertTrue(steps.err().contains("--overfit-steps must be at least 1"), steps.err());
        Result both = run("evaluate", dir.toString(), "--config", config, "--overfit-one-batch", "--quick");
        assertEquals(2, both.code());
        assertTrue(both.err().contains("runs the check alone"), both.err());
        Path file = Files.writeString(dir.resolve("f"), "x");
        Result out = run("evaluate", dir.toString(), "--config", config, "--out", file.toString());
        assertEquals(2, out.code());
        assertTrue(out.err().contains("--out: " + file + " exists and is not a folder"), out.err());
        Result cfg = run("evaluate", dir.toString(), "--config", dir.resolve("missing.yaml").toString());
        assertEquals(2, cfg.code());
        assertTrue(cfg.err().contains("--config"), cfg.err());
    }

    @Test
    void helpDescribesTheCommand() {
        Result r = run("evaluate", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("CHECKPOINT_OR_RUN_DIR") && r.out().contains("--quick") && r.out().contains("--overfit-one-batch"), r.out());
    }
}
