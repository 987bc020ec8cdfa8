package minibert.text;

import com.fasterxml.jackson.databind.JsonNode;
import minibert.io.InputException;
import minibert.io.InputFile;
import minibert.io.Json;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a {@code tokenizer_config.json} says, as far as it changes how text becomes pieces. The switches of
 * Hugging Face's {@code BertTokenizer} are honoured ({@code do_lower_case}, {@code strip_accents},
 * {@code tokenize_chinese_chars}); what this project's tokenizer cannot do is refused by name (another
 * tokenizer class, other special tokens, extra special tokens, {@code do_basic_tokenize: false}); keys that do
 * not change the pieces are passed over with a note.
 *
 * @param options     the basic tokenizer's switches
 * @param addedTokens {@code added_tokens_decoder}: id → token, to be checked against {@code vocab.txt}
 * @param notes       what was passed over or assumed, for the command to print
 */
public record TokenizerConfig(BasicTokenizer.Options options, Map<Integer, String> addedTokens, List<String> notes) {

    /** The largest file read (a BERT tokenizer_config.json is under 2 KB; some list many added tokens). */
    public static final long MAX_BYTES = 4 * InputFile.MIB;

    private static final Set<String> TOKEN_KEYS = Set.of("unk_token", "sep_token", "pad_token", "cls_token", "mask_token");
    private static final List<String> TOKEN_VALUES = List.of(Vocabulary.UNK, Vocabulary.SEP, Vocabulary.PAD, Vocabulary.CLS,
            Vocabulary.MASK);
    /** Keys that change nothing in how text becomes pieces. */
    private static final Set<String> INERT = Set.of("model_max_length", "max_len", "clean_up_tokenization_spaces",
            "name_or_path", "_name_or_path", "special_tokens_map_file", "tokenizer_file", "padding_side",
            "truncation_side", "model_input_names", "init_inputs", "use_fast", "processor_class",
            "extra_special_tokens", "split_special_tokens", "auto_map", "transformers_version");

    /** A config with BertTokenizer's defaults, used when a folder has no tokenizer_config.json. */
    public static TokenizerConfig defaults(String note) {
        return new TokenizerConfig(BasicTokenizer.Options.UNCASED, Map.of(), List.of(note));
    }

    /** Reads and checks {@code file}; every refusal is a {@link TokenizerException} naming the file and the key. */
    public static TokenizerConfig load(Path file) {
        JsonNode root;
        try {
            root = Json.readObject(file, "a tokenizer_config.json", MAX_BYTES);
        } catch (InputException e) {
            throw new TokenizerException(e.getMessage());
        }
        List<String> notes = new ArrayList<>();
        Set<String> ignored = new TreeSet<>();
        JsonNode cls = root.get("tokenizer_class");
        if (cls != null && !cls.isNull()) {
            String name = cls.asText();
            if (!cls.isTextual() || !(name.equals("BertTokenizer") || name.equals("BertTokenizerFast"))) {
                throw refuse(file, "tokenizer_class", "is " + Json.kind(cls) + "; only BertTokenizer and BertTokenizerFast are supported");
            }
        }
        boolean lower = bool(file, root, "do_lower_case", true);
        boolean strip = root.hasNonNull("strip_accents") ? bool(file, root, "strip_accents", lower) : lower;
        boolean cjk = bool(file, root, "tokenize_chinese_chars", true);
        if (!bool(file, root, "do_basic_tokenize", true)) {
            throw refuse(file, "do_basic_tokenize", "is false; this tokenizer always runs BERT's basic tokenizer first");
        }
        if (!root.has("do_lower_case")) {
            notes.add(file + " does not set do_lower_case; using BertTokenizer's default, true (uncased)");
        }
        int t = 0;
        for (String key : List.of("unk_token", "sep_token", "pad_token", "cls_token", "mask_token")) {
            String expected = TOKEN_VALUES.get(t++);
            JsonNode v = root.get(key);
            if (v == null || v.isNull()) {
                continue;
            }
            String content = tokenText(v);
            if (!expected.equals(content)) {
                throw refuse(file, key, "is " + (content == null ? Json.kind(v) : "'" + content + "'") + "; this tokenizer's "
                        + key + " is " + expected);
            }
        }
        JsonNode never = root.get("never_split");
        if (never != null && !never.isNull()) {
            if (!never.isArray()) {
                throw refuse(file, "never_split", "must be a list of tokens, found " + Json.kind(never));
            }
            for (JsonNode n : never) {
                if (!TOKEN_VALUES.contains(tokenText(n))) {
                    throw refuse(file, "never_split", "lists " + Json.kind(n) + "; only the special tokens " + TOKEN_VALUES
                            + " are kept whole by this tokenizer");
                }
            }
        }
        JsonNode extra = root.get("additional_special_tokens");
        if (extra != null && !extra.isNull() && !(extra.isArray() && extra.isEmpty())) {
            throw refuse(file, "additional_special_tokens", "lists tokens beyond " + TOKEN_VALUES + "; they are not supported");
        }
        Map<Integer, String> added = new TreeMap<>();
        JsonNode decoder = root.get("added_tokens_decoder");
        if (decoder != null && !decoder.isNull()) {
            if (!decoder.isObject()) {
                throw refuse(file, "added_tokens_decoder", "must be an object of id → token, found " + Json.kind(decoder));
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = decoder.fields(); it.hasNext(); ) {
                var e = it.next();
                int id;
                try {
                    id = Integer.parseInt(e.getKey());
                } catch (NumberFormatException x) {
                    throw refuse(file, "added_tokens_decoder", "has the key '" + e.getKey() + "', which is not a token id");
                }
                String content = tokenText(e.getValue());
                if (content == null || id < 0) {
                    throw refuse(file, "added_tokens_decoder", "entry " + e.getKey() + " is " + Json.kind(e.getValue())
                            + ", not a token");
                }
                added.put(id, content);
            }
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            boolean known = TOKEN_KEYS.contains(key) || INERT.contains(key) || List.of("tokenizer_class", "do_lower_case",
                    "strip_accents", "tokenize_chinese_chars", "do_basic_tokenize", "never_split", "additional_special_tokens",
                    "added_tokens_decoder").contains(key);
            if (!known) {
                ignored.add(key);
            }
        }
        if (!ignored.isEmpty()) {
            notes.add(file + ": keys passed over (they do not change the pieces here): " + String.join(", ", ignored));
        }
        return new TokenizerConfig(new BasicTokenizer.Options(lower, strip, cjk), Map.copyOf(added), List.copyOf(notes));
    }

    /** A token written as text, or as transformers' AddedToken object {@code {"content": "[MASK]", …}}; else null. */
    private static String tokenText(JsonNode v) {
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isObject() && v.path("content").isTextual()) {
            return v.path("content").asText();
        }
        return null;
    }

    private static boolean bool(Path file, JsonNode root, String key, boolean absent) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (!v.isBoolean()) {
            throw refuse(file, key, "must be true or false, found " + Json.kind(v));
        }
        return v.asBoolean();
    }

    private static TokenizerException refuse(Path file, String key, String why) {
        return new TokenizerException(file + ": " + key + " " + why);
    }
}
