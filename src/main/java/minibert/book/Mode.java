package minibert.book;

import java.util.Locale;

/**
 * How much work the results generator does. The book says which one each number comes from.
 *
 * <ul>
 *   <li>{@code QUICK}: routine builds ({@code mvn verify}); smaller samples, fewer steps, so the
 *       whole build stays well under ten minutes on two cores.</li>
 *   <li>{@code FULL}: release builds ({@code mvn verify -Dbook.mode=full}); the full measurements.</li>
 * </ul>
 */
public enum Mode {
    QUICK, FULL;

    /** Parses {@code quick} or {@code full}, case-insensitively. */
    public static Mode parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown book mode '" + text + "': expected quick or full", e);
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
