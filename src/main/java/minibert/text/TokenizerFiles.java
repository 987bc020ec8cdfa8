package minibert.text;

import minibert.io.InputException;
import minibert.io.InputFile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A tokenizer as Hugging Face stores it: {@code vocab.txt} and, beside it, {@code tokenizer_config.json}.
 * The two must agree: every token {@code added_tokens_decoder} names must be the line of {@code vocab.txt}
 * with that id.
 *
 * @param wordPiece  the tokenizer, with the casing the config asks for
 * @param vocabFile  the {@code vocab.txt} read
 * @param configFile the {@code tokenizer_config.json} read, or {@code null} when there is none
 * @param notes      what was passed over or assumed, for the command to print
 */
public record TokenizerFiles(WordPiece wordPiece, Path vocabFile, Path configFile, List<String> notes) {

    public static final String VOCAB = "vocab.txt";
    public static final String CONFIG = "tokenizer_config.json";

    /**
     * Loads the tokenizer of a folder, or of a {@code vocab.txt} file and the {@code tokenizer_config.json}
     * beside it.
     */
    public static TokenizerFiles load(Path fileOrFolder) {
        Path vocabFile;
        if (Files.isDirectory(fileOrFolder)) {
            vocabFile = fileOrFolder.resolve(VOCAB);
        } else if (Files.exists(fileOrFolder)) {
            vocabFile = fileOrFolder;
        } else {
            try {
                InputFile.requireFolder(fileOrFolder);
            } catch (InputException e) {
                throw new TokenizerException("tokenizer " + e.getMessage() + "; give a folder holding " + VOCAB
                        + ", or the " + VOCAB + " file itself");
            }
            throw new TokenizerException("tokenizer " + fileOrFolder + " cannot be read");
        }
        Vocabulary vocab = Vocabulary.load(vocabFile);
        Path parent = vocabFile.toAbsolutePath().getParent();
        Path configFile = parent == null ? null : parent.resolve(CONFIG);
        TokenizerConfig config;
        if (configFile != null && Files.exists(configFile)) {
            config = TokenizerConfig.load(configFile);
        } else {
            config = TokenizerConfig.defaults("no " + CONFIG + " beside " + vocabFile
                    + "; using BertTokenizer's defaults (uncased, accents stripped)");
            configFile = null;
        }
        for (Map.Entry<Integer, String> e : config.addedTokens().entrySet()) {
            int id = e.getKey();
            if (id >= vocab.size() || !vocab.token(id).equals(e.getValue())) {
                throw new TokenizerException(configFile + ": added_tokens_decoder gives id " + id + " to '" + e.getValue()
                        + "', but line " + (id + 1) + " of " + vocabFile + " is "
                        + (id >= vocab.size() ? "beyond its " + vocab.size() + " lines" : "'" + vocab.token(id) + "'")
                        + " (tokens added beyond vocab.txt are not supported)");
            }
        }
        List<String> notes = new ArrayList<>(config.notes());
        return new TokenizerFiles(new WordPiece(vocab, config.options()), vocabFile, configFile, List.copyOf(notes));
    }
}
