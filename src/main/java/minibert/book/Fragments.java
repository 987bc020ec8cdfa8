package minibert.book;

import java.util.regex.Pattern;

/** Small helpers that turn values into safe AsciiDoc. */
final class Fragments {

    private static final Pattern NEEDS_PASS = Pattern.compile("[*_`#^~+{}\\[\\]|\\\\]");

    private Fragments() {
    }

    /** A table cell or inline text shown literally: AsciiDoc markup characters lose their meaning. */
    static String cell(String text) {
        if (!NEEDS_PASS.matcher(text).find()) {
            return text;
        }
        return "pass:c[" + text.replace("\\", "\\\\").replace("]", "\\]").replace("|", "\\|") + "]";
    }
}
