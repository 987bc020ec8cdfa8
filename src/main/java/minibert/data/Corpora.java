package minibert.data;

import java.util.ArrayList;
import java.util.List;

/** The texts the project trains on, read through the data store. */
public final class Corpora {

    private Corpora() {
    }

    /** The pre-training corpus: the IMDB reviews of {@code unsup} then {@code train}, line breaks removed. */
    public static List<String> imdb(DataStore store) {
        List<String> texts = new ArrayList<>(75_000);
        for (String f : List.of("unsup.tsv.gz", "train.tsv.gz")) {
            for (ImdbReader.ImdbReview r : ImdbReader.read(store.file("imdb", f))) {
                texts.add(r.text());
            }
        }
        return texts;
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
