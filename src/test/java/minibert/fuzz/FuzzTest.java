package minibert.fuzz;

import minibert.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FuzzTest {

    static final long SEED = 20260;

    @Test
    void everyReaderEndsEveryMutationAcceptedOrInItsOwnErrorNamingTheFile() throws IOException {
        List<Fuzzer.Report> reports = Fuzzer.run(FuzzTargets.all(), SEED, Duration.ofSeconds(20));
        for (Fuzzer.Report r : reports) {
            System.out.printf("%-40s %5d cases %5d accepted %5d rejected %3d failed  %.2f s (slowest %.3f s)%n", r.target().name(),
                    r.total().tried(), r.total().accepted(), r.total().rejected(), r.total().failed(), r.seconds(), r.slowest());
            r.examples().forEach((k, m) -> System.out.println("    " + k.label() + ": " + m));
        }
        List<String> failures = Fuzzer.failures(reports);
        failures.stream().limit(40).forEach(System.out::println);
        assertEquals(List.of(), failures, "seed " + SEED);
        for (Fuzzer.Report r : reports) {
            for (Mutations.Kind k : Mutations.Kind.values()) {
                assertTrue(r.byKind().containsKey(k) && r.byKind().get(k).tried() > 0, r.target().name() + " tried no " + k.label());
            }
            // Many mutations leave a file valid (a changed letter in a token or a review); a third at least are not.
            assertTrue(3 * r.total().rejected() > r.total().tried(), r.target().name() + ": too few mutations refused");
        }
    }

    private static FuzzTarget toy(FuzzTarget.Reader reader) {
        return new FuzzTarget("toy", "toy.yaml", ConfigException.class, FuzzTarget.Format.TEXT,
                "a: 1\nb: 2\n".getBytes(StandardCharsets.UTF_8), FuzzTarget.Setup.NONE, reader);
    }

    @Test
    void aForeignExceptionAnUnnamedFileAndAHangAreFailures() throws IOException {
        Fuzzer.Report foreign = Fuzzer.run(toy(f -> {
            if (Files.size(f) < 4) {
                throw new NullPointerException("boom");
            }
        }), SEED, Duration.ofSeconds(5));
        assertFalse(foreign.passed());
        assertTrue(foreign.failures().stream().anyMatch(m -> m.contains("FOREIGN") && m.contains("NullPointerException")
                && m.contains("seed " + SEED)), foreign.failures().toString());

        Fuzzer.Report unnamed = Fuzzer.run(toy(f -> {
            throw new ConfigException(null, null, "something is wrong somewhere");
        }), SEED, Duration.ofSeconds(5));
        assertEquals(unnamed.total().tried(), unnamed.total().failed(), "a refusal must name the file");
        assertTrue(unnamed.failures().get(0).contains("the valid sample itself ends UNNAMED"), unnamed.failures().get(0));
        assertTrue(unnamed.failures().get(1).contains("UNNAMED"), unnamed.failures().get(1));

        Fuzzer.Report hang = Fuzzer.run(toy(f -> {
            if (Files.isRegularFile(f) && Files.size(f) == 0) {
                Thread.sleep(60_000);
            }
        }), SEED, Duration.ofMillis(200));
        assertTrue(hang.failures().stream().anyMatch(m -> m.contains("TIMEOUT") && m.contains("'empty file'")), hang.failures().toString());
        assertTrue(hang.seconds() < 30, "the harness waited for the hanging reader: " + hang.seconds() + " s");
    }

    @Test
    void theSameSeedGivesTheSameCases() {
        FuzzTarget target = FuzzTargets.all().get(0);
        List<String> a = Mutations.cases(target, 5).stream().map(Mutations.Case::label).toList();
        List<String> b = Mutations.cases(target, 5).stream().map(Mutations.Case::label).toList();
        List<String> c = Mutations.cases(target, 6).stream().map(Mutations.Case::label).toList();
        assertEquals(a, b);
        assertFalse(a.equals(c), "another seed, other cases");
        Map<Mutations.Kind, Integer> kinds = new java.util.EnumMap<>(Mutations.Kind.class);
        Mutations.cases(target, 5).forEach(x -> kinds.merge(x.kind(), 1, Integer::sum));
        assertEquals(Mutations.Kind.values().length, kinds.size(), kinds.toString());
    }
}
