package minibert.book;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Small helpers that turn values into safe AsciiDoc. */
final class Fragments {

    private static final Pattern NEEDS_PASS = Pattern.compile("[*_`#^~+{}\\[\\]|\\\\]");

    /**
     * What must not break across lines in a narrow table column: a shape or list in brackets ({@code [12, 12]}),
     * sizes multiplied ({@code 5 × 2×3×4}), and numbers with their exponent, sign, range and unit
     * ({@code 1.7e-10}, {@code 41.2 (38.0–43.1)} keeps each number whole, {@code 6221–152692}, {@code 11927 µs}).
     */
    static final Pattern UNBREAKABLE = Pattern.compile(
            "\\[[^\\[\\]]{1,40}]"
                    + "|\\d+(?:\\s*×\\s*\\d+)+"
                    + "|[-−+]?\\d[\\d,]*(?:\\.\\d+)?(?:[eE][-+−]?\\d+)?%?"
                    + "(?:\\s?[–-]\\s?[-−]?\\d[\\d,]*(?:\\.\\d+)?(?:[eE][-+−]?\\d+)?%?)?"
                    + "(?:\\s(?:µs|s|MiB|KiB|MB|GB/s|GFLOP/s|u)\\b)?");

    private Fragments() {
    }

    /** A table cell or inline text shown literally: AsciiDoc markup characters lose their meaning. */
    static String cell(String text) {
        if (!NEEDS_PASS.matcher(text).find()) {
            return text;
        }
        return "pass:c[" + text.replace("\\", "\\\\").replace("]", "\\]").replace("|", "\\|") + "]";
    }

    /**
     * A table cell shown literally, with every number and shape in it kept on one line (a {@code nowrap} span):
     * a narrow column may break the text around them, never inside them.
     */
    static String tableCell(String text) {
        Matcher m = UNBREAKABLE.matcher(text);
        if (!m.find()) {
            return cell(text);
        }
        StringBuilder html = new StringBuilder();
        int at = 0;
        do {
            html.append(escape(text.substring(at, m.start())));
            String token = m.group();
            boolean breakable = token.chars().anyMatch(c -> c == ' ' || c == '-' || c == '–' || c == '−' || c == ',');
            html.append(breakable ? "<span class=\"nowrap\">" + escape(token) + "</span>" : escape(token));
            at = m.end();
        } while (m.find());
        html.append(escape(text.substring(at)));
        String out = html.toString();
        if (out.equals(escape(text))) {
            return cell(text);
        }
        return "pass:[" + out.replace("]", "\\]").replace("|", "\\|") + "]";     // the macro unescapes \\] only
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
