package minibert.io;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Path;

/**
 * Strict JSON files for the readers of checkpoints and tokenizers: bounded in size, UTF-8, one JSON object,
 * no repeated keys, nothing after it. Errors are {@link InputException}s in a line or two of plain words:
 * Jackson's own message without its {@code Source: …} boilerplate, and where in the file it stopped.
 */
public final class Json {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static final java.util.regex.Pattern SOURCE =
            java.util.regex.Pattern.compile("\\[Source: [^\\]]*?; line: (-?\\d+), column: (-?\\d+)]");

    private Json() {
    }

    /** Reads {@code file} as one JSON object (at most {@code limit} bytes). */
    public static JsonNode readObject(Path file, String what, long limit) {
        return parseObject(file, InputFile.text(file, what, limit, true));
    }

    /** Parses {@code text}, read from {@code file}, as one JSON object. */
    public static JsonNode parseObject(Path file, String text) {
        if (text.isBlank()) {
            throw new InputException(file, "is empty: it must hold a JSON object { … }");
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new InputException(file, "is not valid JSON: " + message(e));
        }
        if (root == null || root.isMissingNode()) {
            throw new InputException(file, "is empty: it must hold a JSON object { … }");
        }
        if (!root.isObject()) {
            throw new InputException(file, "must hold a JSON object { … }, found " + kind(root));
        }
        return root;
    }

    /** Jackson's message in one line, with the line and column but without its {@code Source:} notice. */
    public static String message(JsonProcessingException e) {
        // Nested locations ("start marker at [Source: REDACTED (…); line: 1, column: 4]") become "line 1, column 4".
        String m = SOURCE.matcher(String.valueOf(e.getOriginalMessage()).replace('\n', ' ')).replaceAll("line $1, column $2");
        if (m.length() > 300) {
            m = m.substring(0, 300) + "…";
        }
        JsonLocation at = e.getLocation();
        return at == null || at.getLineNr() < 0 ? m : m + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }

    /** What kind of JSON value {@code node} is, for messages: {@code an array}, {@code the number 1.5}. */
    public static String kind(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        if (node.isObject()) {
            return "an object";
        }
        if (node.isArray()) {
            return "an array";
        }
        if (node.isNull()) {
            return "null";
        }
        String text = node.toString();
        if (text.length() > 60) {
            text = text.substring(0, 60) + "…";
        }
        if (node.isTextual()) {
            return "the text " + text;
        }
        if (node.isNumber()) {
            return "the number " + text;
        }
        return text;
    }
}
