package minibert.text;

import minibert.io.InputException;
import minibert.io.InputFile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A WordPiece vocabulary: pieces and their ids. Word-initial pieces are plain ({@code un}), continuation
 * pieces carry the prefix {@code ##} ({@code ##aff}). The five special tokens come first in the vocabularies
 * this project trains; a Hugging Face vocabulary may hold them anywhere.
 *
 * <p>On disk it is Hugging Face's {@code vocab.txt} (one token per line, id = line number, UTF-8) plus
 * {@code tokenizer_config.json}, so {@code BertTokenizer.from_pretrained(dir)} reads it.
 */
public final class Vocabulary {

    public static final String PAD = "[PAD]";
    public static final String UNK = "[UNK]";
    public static final String CLS = "[CLS]";
    public static final String SEP = "[SEP]";
    public static final String MASK = "[MASK]";
    /** The special tokens, in the order of their ids 0–4. */
    public static final List<String> SPECIALS = List.of(PAD, UNK, CLS, SEP, MASK);
    /** The prefix of continuation pieces. */
    public static final String CONTINUATION = "##";

    /** The largest {@code vocab.txt} read: 30,522 BERT pieces take 232 KB, so this leaves room for any real one. */
    public static final long MAX_BYTES = 16 * InputFile.MIB;

    private final List<String> tokens;
    private final Map<String, Integer> ids;
    private final int longestPiece;
    private final int[] specialIds;

    /**
     * A vocabulary from tokens in id order. Each special token must appear once; the project's own vocabularies
     * put them first (ids 0–4), Hugging Face's {@code bert-base-uncased} has {@code [PAD]} at 0 and the others at
     * 100–103, after the {@code [unusedN]} slots. No token may repeat.
     */
    public Vocabulary(List<String> tokens) {
        this.tokens = List.copyOf(tokens);
        this.ids = new HashMap<>(tokens.size() * 2);
        int longest = 0;
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (ids.put(t, i) != null) {
                throw new IllegalArgumentException("token '" + t + "' appears twice");
            }
            longest = Math.max(longest, t.startsWith(CONTINUATION) ? t.length() - 2 : t.length());
        }
        this.specialIds = new int[SPECIALS.size()];
        for (int i = 0; i < SPECIALS.size(); i++) {
            Integer id = ids.get(SPECIALS.get(i));
            if (id == null) {
                throw new IllegalArgumentException("the vocabulary has no " + SPECIALS.get(i) + " (it needs all of " + SPECIALS + ")");
            }
            specialIds[i] = id;
        }
        this.longestPiece = longest;
    }

    public int size() {
        return tokens.size();
    }

    public String token(int id) {
        return tokens.get(id);
    }

    /** The id of a token, or -1. */
    public int id(String token) {
        Integer id = ids.get(token);
        return id == null ? -1 : id;
    }

    public int padId() {
        return specialIds[0];
    }

    public int unkId() {
        return specialIds[1];
    }

    public int clsId() {
        return specialIds[2];
    }

    public int sepId() {
        return specialIds[3];
    }

    public int maskId() {
        return specialIds[4];
    }

    /** Whether {@code id} is one of the five special tokens. */
    public boolean isSpecial(int id) {
        for (int s : specialIds) {
            if (s == id) {
                return true;
            }
        }
        return false;
    }

    /** Length in characters of the longest piece (without {@code ##}): the encoder never tries longer. */
    public int longestPiece() {
        return longestPiece;
    }

    public List<String> tokens() {
        return tokens;
    }

    /**
     * Reads {@code vocab.txt} (at most {@value #MAX_BYTES} bytes of UTF-8; a byte-order mark at the start is
     * dropped). Errors name the file and the line: a missing file or folder, an empty or blank line, white
     * space inside a token, a repeated token, a missing special token, or bytes that are not UTF-8.
     */
    public static Vocabulary load(Path vocabTxt) {
        String text;
        try {
            text = InputFile.text(vocabTxt, "a vocab.txt", MAX_BYTES, true);
        } catch (InputException e) {
            throw new TokenizerException("vocabulary " + e.getMessage());
        }
        if (text.isEmpty()) {
            throw new TokenizerException(vocabTxt + ": the vocabulary is empty");
        }
        String[] lines = text.split("\n", -1);
        int n = lines.length - (text.endsWith("\n") ? 1 : 0);
        List<String> tokens = new ArrayList<>(n);
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < n; i++) {
            String t = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            int line = i + 1;
            if (t.isEmpty()) {
                throw new TokenizerException(vocabTxt + ":" + line + ": empty line (a token per line, none blank)");
            }
            for (int k = 0; k < t.length(); k++) {
                char c = t.charAt(k);
                if (Character.isWhitespace(c)) {
                    throw new TokenizerException(vocabTxt + ":" + line + ": token '" + shorten(t) + "' contains white space");
                }
                if (Character.getType(c) == Character.CONTROL) {     // BERT's cleaning removes these: no text yields them
                    throw new TokenizerException(vocabTxt + ":" + line + ": token contains the control character "
                            + String.format(java.util.Locale.ROOT, "U+%04X", (int) c) + " (binary data?)");
                }
            }
            Integer before = seen.put(t, line);
            if (before != null) {
                throw new TokenizerException(vocabTxt + ":" + line + ": token '" + shorten(t) + "' repeats line " + before);
            }
            tokens.add(t);
        }
        for (String special : SPECIALS) {
            if (!seen.containsKey(special)) {
                throw new TokenizerException(vocabTxt + ": no line holds " + special + " (a BERT vocabulary needs all of "
                        + SPECIALS + ")");
            }
        }
        return new Vocabulary(tokens);
    }

    private static String shorten(String t) {
        return t.length() > 60 ? t.substring(0, 60) + "…" : t;
    }

    /**
     * Writes {@code vocab.txt} and {@code tokenizer_config.json} into {@code dir}, each through a temporary
     * file that is renamed into place.
     *
     * @param maxLength the model's longest input (max_position_embeddings)
     */
    public void save(Path dir, int maxLength) throws IOException {
        Files.createDirectories(dir);
        StringBuilder b = new StringBuilder();
        for (String t : tokens) {
            b.append(t).append('\n');
        }
        write(dir.resolve("vocab.txt"), b.toString());
        String config = """
                {
                  "tokenizer_class": "BertTokenizer",
                  "do_lower_case": true,
                  "strip_accents": null,
                  "tokenize_chinese_chars": true,
                  "unk_token": "[UNK]",
                  "sep_token": "[SEP]",
                  "pad_token": "[PAD]",
                  "cls_token": "[CLS]",
                  "mask_token": "[MASK]",
                  "model_max_length": %d
                }
                """.formatted(maxLength);
        write(dir.resolve("tokenizer_config.json"), config);
    }

    private static void write(Path target, String content) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".part");
        try {
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
