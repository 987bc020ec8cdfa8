package minibert.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** How the report names a run's folder. */
class RunReportTest {

    @Test
    void aRunInsideTheProjectIsNamedRelativeToItAndOneOutsideAsGiven() {
        Path project = Path.of(System.getProperty("minibert.project.dir", "")).toAbsolutePath().normalize();
        assertEquals(Path.of("target", "short-run").toString(), RunReport.shown(project.resolve("target/short-run")));
        assertEquals(Path.of("target", "short-run").toString(), RunReport.shown(project.resolve("target/./short-run")));
        Path outside = project.getRoot().resolve("elsewhere-7").resolve("run");
        assertEquals(outside.toString(), RunReport.shown(outside));
    }
}
