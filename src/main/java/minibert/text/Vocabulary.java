package minibert.text;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
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
 * pieces carry the prefix {@code ##} ({@code ##aff}). The five special tokens come first.
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

    private final List<String> tokens;
    private final Map<String, Integer> ids;
    private final int longestPiece;

    /** A vocabulary from tokens in id order; the specials must come first, and no token may repeat. */
    public Vocabulary(List<String> tokens) {
        this.tokens = List.copyOf(tokens);
        this.ids = new HashMap<>(tokens.size() * 2);
        int longest = 0;
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (i < SPECIALS.size() && !SPECIALS.get(i).equals(t)) {
                throw new IllegalArgumentException("token " + i + " must be " + SPECIALS.get(i) + ", found '" + t + "'");
            }
            if (ids.put(t, i) != null) {
                throw new IllegalArgumentException("token '" + t + "' appears twice");
            }
            longest = Math.max(longest, t.startsWith(CONTINUATION) ? t.length() - 2 : t.length());
        }
        if (tokens.size() < SPECIALS.size()) {
            throw new IllegalArgumentException("a vocabulary needs at least the " + SPECIALS.size() + " special tokens");
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
        return 0;
    }

    public int unkId() {
        return 1;
    }

    public int clsId() {
        return 2;
    }

    public int sepId() {
        return 3;
    }

    public int maskId() {
        return 4;
    }

    /** Length in characters of the longest piece (without {@code ##}): the encoder never tries longer. */
    public int longestPiece() {
        return longestPiece;
    }

    public List<String> tokens() {
        return tokens;
    }

    /**
     * Reads {@code vocab.txt}. Errors name the file and the line: an empty or blank line, white space inside
     * a token, a repeated token, missing special tokens, or bytes that are not UTF-8.
     */
    public static Vocabulary load(Path vocabTxt) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(vocabTxt);
        } catch (IOException e) {
            throw new TokenizerException("cannot read vocabulary " + vocabTxt + ": " + e.getMessage(), e);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new TokenizerException(vocabTxt + ": not valid UTF-8");
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
                if (Character.isWhitespace(t.charAt(k))) {
                    throw new TokenizerException(vocabTxt + ":" + line + ": token '" + t + "' contains white space");
                }
            }
            Integer before = seen.put(t, line);
            if (before != null) {
                throw new TokenizerException(vocabTxt + ":" + line + ": token '" + t + "' repeats line " + before);
            }
            tokens.add(t);
        }
        for (int i = 0; i < SPECIALS.size(); i++) {
            if (i >= tokens.size() || !tokens.get(i).equals(SPECIALS.get(i))) {
                throw new TokenizerException(vocabTxt + ":" + (i + 1) + ": expected " + SPECIALS.get(i)
                        + " (the special tokens come first, in the order " + SPECIALS + ")");
            }
        }
        return new Vocabulary(tokens);
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
