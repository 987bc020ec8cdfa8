package minibert.train;

import minibert.data.Corpora;
import minibert.data.DataStore;
import minibert.data.Manifest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The documents to pre-train on, in a fixed order, with a checksum of exactly what they are.
 *
 * <p>A document is one text (a review); a line break in it ends a sentence (a paragraph end), as in BERT's
 * input files, where each line is a sentence and a blank line ends a document.
 *
 * @param description what the corpus is, for messages, e.g. {@code "IMDB unsup + train"}
 * @param checksum    64 hex digits that change whenever any document would: a cache records it
 * @param documents   opens the documents, read lazily in order; the caller closes the stream
 */
public record PretrainingCorpus(String description, String checksum, Supplier<Stream<String>> documents) {

    /**
     * The project's corpus: IMDB's unlabelled then labelled training reviews (75,000), through the data
     * store (which verifies each file first). Its checksum is made from the manifest's content hashes of
     * the two files, so a re-compressed copy of the same text is the same corpus.
     */
    public static PretrainingCorpus imdb(DataStore store) {
        StringBuilder ids = new StringBuilder("imdb paragraphs v1");
        for (String f : Corpora.IMDB_FILES) {
            Manifest.DataFile entry = store.manifest().file("imdb", f);
            ids.append('\n').append(f).append(' ')
                    .append(entry.contentSha256() != null ? entry.contentSha256() : entry.sha256());
        }
        return new PretrainingCorpus("IMDB " + String.join(" + ", Corpora.IMDB_FILES), sha256(ids.toString()),
                () -> Corpora.imdbDocuments(store));
    }

    /** A corpus of the given texts (tests, examples); its checksum is made from the texts themselves. */
    public static PretrainingCorpus of(String description, List<String> texts) {
        List<String> copy = List.copyOf(texts);
        StringBuilder all = new StringBuilder();
        for (String t : copy) {
            all.append(t.length()).append(':').append(t);       // length-prefixed: no two lists hash alike
        }
        return new PretrainingCorpus(description, sha256(all.toString()), copy::stream);
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
