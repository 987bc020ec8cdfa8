package minibert.data;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The texts the project trains on, read through the data store. */
public final class Corpora {

    /** The files of the pre-training corpus, in corpus order: the unlabelled reviews, then the labelled ones. */
    public static final List<String> IMDB_FILES = List.of("unsup.tsv.gz", "train.tsv.gz");

    private Corpora() {
    }

    /** The pre-training corpus: the IMDB reviews of {@code unsup} then {@code train}, line breaks removed. */
    public static List<String> imdb(DataStore store) {
        List<String> texts = new ArrayList<>(75_000);
        for (String f : IMDB_FILES) {
            for (ImdbReader.ImdbReview r : ImdbReader.read(store.file("imdb", f))) {
                texts.add(r.text());
            }
        }
        return texts;
    }

    /**
     * The same reviews in the same order, read lazily (a file is opened when the stream reaches it, and only
     * as far as it is consumed), each review's paragraph ends ({@code <br /><br />}) as one {@code '\n'}
     * ({@link ImdbReader#paragraphs}). Close the stream.
     */
    public static Stream<String> imdbDocuments(DataStore store) {
        return IMDB_FILES.stream().flatMap(f -> ImdbReader.stream(store.file("imdb", f), ImdbReader::paragraphs)
                .map(ImdbReader.ImdbReview::text));
    }

    /** Characters in all texts. */
    public static long characters(List<String> texts) {
        long n = 0;
        for (String t : texts) {
            n += t.length();
        }
        return n;
    }
}
