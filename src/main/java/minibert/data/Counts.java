package minibert.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Compares what a reader counted with what the manifest expects. */
public final class Counts {

    private Counts() {
    }

    /**
     * Throws a {@link DataException} naming the file and every count that differs.
     *
     * @param expected counts from the manifest (each must have been measured)
     * @param measured counts the reader made
     */
    public static void check(Path file, Map<String, Long> expected, Map<String, Long> measured) {
        List<String> wrong = new ArrayList<>();
        for (var e : expected.entrySet()) {
            Long m = measured.get(e.getKey());
            if (m == null) {
                wrong.add(e.getKey() + ": not counted by the reader");
            } else if (!m.equals(e.getValue())) {
                wrong.add(e.getKey() + ": counted " + m + ", expected " + e.getValue());
            }
        }
        if (!wrong.isEmpty()) {
            throw new DataException(file + " does not have the expected contents: " + String.join("; ", wrong));
        }
    }
}
