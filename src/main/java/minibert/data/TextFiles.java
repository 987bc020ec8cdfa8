package minibert.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** Opens text files, gzip'd or plain, as strict UTF-8 (a malformed byte is an error, not a silent U+FFFD). */
final class TextFiles {

    private TextFiles() {
    }

    static BufferedReader open(Path file) throws IOException {
        InputStream in = Files.newInputStream(file);
        if (file.getFileName().toString().endsWith(".gz")) {
            in = new GZIPInputStream(in, 1 << 16);
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        return new BufferedReader(new InputStreamReader(in, decoder), 1 << 16);
    }

    static DataException error(Path file, long line, String what) {
        return new DataException(file + ":" + line + ": " + what);
    }

    /** The number of white-space separated tokens, as Python's {@code len(s.split())} counts them. */
    static int whitespaceTokens(String s) {
        int n = 0;
        boolean in = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            // Python's str.split(): Unicode white space, including no-break spaces and NEL.
            boolean ws = Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
            if (!ws && !in) {
                n++;
            }
            in = !ws;
        }
        return n;
    }
}
