package minibert.eval;

import minibert.data.ConlluReader.ConlluSentence;
import minibert.model.Batch;
import minibert.model.BertForMaskedLM;
import minibert.tensor.Products;
import minibert.text.BasicTokenizer;
import minibert.text.Vocabulary;
import minibert.text.WordPiece;
import minibert.train.Progress;
import minibert.train.Seeds;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The part-of-speech probe (UD English EWT, the 17 universal tags): does a layer's hidden state say which
 * part of speech a word is, in a form a linear map can read?
 *
 * <p>Each sentence is tokenized word by word (the treebank's words, each through the basic tokenizer and
 * WordPiece), run through the frozen model, and each word is represented by the hidden state of its
 * <em>first</em> piece at every layer: the embeddings' output (layer 0) and each encoder layer's output.
 * A sentence longer than T − 2 pieces is cut into windows of whole words, each with its own [CLS] and [SEP];
 * a single word longer than that is dropped and counted.
 *
 * <p>Beside the probe: the most frequent tag of each word in training (unseen words get the most frequent
 * tag overall), the same probe on a randomly initialised model, and the control task of Hewitt and Liang
 * (2019), in which each word type has a fixed random tag drawn from the empirical tag distribution.
 */
public final class PosProbing {

    /** The 17 universal POS tags, in UD's order. */
    public static final List<String> UPOS = List.of("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM",
            "PART", "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X");

    /** A filler row for a batch's unused places: [CLS] [SEP]. */
    private static final int[] EMPTY = {Vocabulary.SPECIALS.indexOf(Vocabulary.CLS), Vocabulary.SPECIALS.indexOf(Vocabulary.SEP)};

    /** The stream of the control task's draws (beside {@link Seeds}' streams). */
    static final long CONTROL = 22;

    /**
     * A split ready for the model.
     *
     * @param windows     the model's inputs: {@code [CLS] pieces [SEP]}, at most T ids each
     * @param firstPieces for each window, the position of each of its words' first piece
     * @param forms       every kept word, lower-cased (as the uncased model sees it), in order
     * @param tags        its tag, an index into {@link #UPOS}
     * @param sentences   sentences read
     * @param split       sentences cut into more than one window
     * @param dropped     words dropped: longer than T − 2 pieces alone, or without any piece
     */
    public record Words(String name, List<int[]> windows, List<int[]> firstPieces, String[] forms, int[] tags,
                        int sentences, int split, int dropped) {

        public int size() {
            return tags.length;
        }
    }

    /**
     * The probe at one layer.
     *
     * @param layer   0 the embeddings' output, l the output of encoder layer l − 1
     * @param real    the probe on the tags
     * @param control the probe on the control task
     */
    public record Layer(int layer, ProbeTraining.Outcome real, ProbeTraining.Outcome control) {
        /** Accuracy minus control accuracy, on test. */
        public double selectivity() {
            return real.testAccuracy() - control.testAccuracy();
        }
    }

    /** The most frequent tag baseline on test: its accuracy and the share of test words unseen in training. */
    public record MostFrequent(double accuracy, double unseenShare, double seenAccuracy, String fallbackTag) {
    }

    private PosProbing() {
    }

    /** Tokenizes and windows a split; an unknown tag is an error naming the sentence. */
    public static Words prepare(String name, List<ConlluSentence> sentences, WordPiece wordPiece, int length) {
        Vocabulary v = wordPiece.vocabulary();
        int room = length - 2;
        Map<String, Integer> tagIndex = new HashMap<>();
        for (int i = 0; i < UPOS.size(); i++) {
            tagIndex.put(UPOS.get(i), i);
        }
        List<int[]> windows = new ArrayList<>(), firsts = new ArrayList<>();
        List<String> forms = new ArrayList<>();
        List<Integer> tags = new ArrayList<>();
        int split = 0, dropped = 0;
        for (ConlluSentence s : sentences) {
            List<int[]> pieces = new ArrayList<>();
            List<Integer> kept = new ArrayList<>();
            for (int w = 0; w < s.words().size(); w++) {
                Integer tag = tagIndex.get(s.upos().get(w));
                if (tag == null) {
                    throw new IllegalArgumentException(name + ", sentence " + s.sentId() + ": unknown UPOS tag '"
                            + s.upos().get(w) + "' (expected one of " + UPOS + ")");
                }
                int[] p = pieces(wordPiece, s.words().get(w));
                if (p.length == 0 || p.length > room) {
                    dropped++;
                    continue;
                }
                pieces.add(p);
                kept.add(w);
            }
            int windowsBefore = windows.size();
            int start = 0;
            while (start < pieces.size()) {
                int end = start, used = 0;
                while (end < pieces.size() && used + pieces.get(end).length <= room) {
                    used += pieces.get(end++).length;
                }
                int[] ids = new int[used + 2];
                int[] first = new int[end - start];
                int at = 0;
                ids[at++] = v.clsId();
                for (int w = start; w < end; w++) {
                    first[w - start] = at;
                    for (int id : pieces.get(w)) {
                        ids[at++] = id;
                    }
                    forms.add(BasicTokenizer.lowerCase(s.words().get(kept.get(w))));
                    tags.add(tagIndex.get(s.upos().get(kept.get(w))));
                }
                ids[at] = v.sepId();
                windows.add(ids);
                firsts.add(first);
                start = end;
            }
            split += windows.size() - windowsBefore > 1 ? 1 : 0;
        }
        return new Words(name, windows, firsts, forms.toArray(String[]::new),
                tags.stream().mapToInt(Integer::intValue).toArray(), sentences.size(), split, dropped);
    }

    /** A treebank word's pieces: the basic tokenizer may split it (U.S. → u . s .); all its pieces are its own. */
    static int[] pieces(WordPiece wordPiece, String word) {
        int[] out = new int[0];
        for (String token : BasicTokenizer.tokenize(word)) {
            int[] p = wordPiece.encodeWord(token);
            int n = out.length;
            out = Arrays.copyOf(out, n + p.length);
            System.arraycopy(p, 0, out, n, p.length);
        }
        return out;
    }

    /**
     * Every word's hidden state at its first piece, at every layer.
     *
     * @return [L + 1][N·H]: layer l's feature of word i at {@code [l][i·H …]}, in float (the probe's input
     *         needs no more, and it halves the memory)
     */
    // tag::features[]
    public static float[][] features(BertForMaskedLM model, Words words, int batchSize) {
        int layers = model.config().numLayers(), h = model.config().hiddenSize();
        float[][] out = new float[layers + 1][(int) ((long) words.size() * h)];
        int[] wordStart = new int[words.windows().size()];
        for (int w = 1; w < wordStart.length; w++) {
            wordStart[w] = wordStart[w - 1] + words.firstPieces().get(w - 1).length;
        }
        LayerByLayer encoder = new LayerByLayer(model, LayerByLayer.Rounding.NONE);
        for (int[] bucket : buckets(words.windows(), model.config().maxPositions())) {
            int t = bucket[0];                                       // the bucket's length, then window indices
            int b = Math.min(batchSize, bucket.length - 1);
            Batch batch = new Batch(new int[b * t], new int[b * t], new int[b * t], new int[b * t], b, t);
            for (int start = 1; start < bucket.length; start += b) {
                int rows = Math.min(b, bucket.length - start);
                Arrays.fill(batch.inputIds(), 0);
                Arrays.fill(batch.attentionMask(), 0);
                for (int r = 0; r < b; r++) {                        // rows past the end: [CLS] [SEP], ignored
                    int[] ids = r < rows ? words.windows().get(bucket[start + r]) : EMPTY;
                    System.arraycopy(ids, 0, batch.inputIds(), r * t, ids.length);
                    Arrays.fill(batch.attentionMask(), r * t, r * t + ids.length, 1);
                }
                encoder.encode(batch);
                for (int r = 0; r < rows; r++) {
                    int window = bucket[start + r];
                    int[] first = words.firstPieces().get(window);
                    for (int l = 0; l <= layers; l++) {
                        double[] hidden = encoder.hidden(l).data;        // [B·T, H]
                        for (int k = 0; k < first.length; k++) {
                            int from = (r * t + first[k]) * h, to = (wordStart[window] + k) * h;
                            for (int j = 0; j < h; j++) {
                                out[l][to + j] = (float) hidden[from + j];
                            }
                        }
                    }
                }
            }
        }
        return out;
    }
    // end::features[]

    /**
     * Windows grouped by length, rounded up to a multiple of 16 (at most {@code maxLength}), so that a batch
     * pads little: each bucket is {@code [length, window, window, …]}.
     */
    static List<int[]> buckets(List<int[]> windows, int maxLength) {
        Map<Integer, List<Integer>> byLength = new java.util.TreeMap<>();
        for (int w = 0; w < windows.size(); w++) {
            int t = Math.min(maxLength, (windows.get(w).length + 15) / 16 * 16);
            if (windows.get(w).length > maxLength) {
                throw new IllegalArgumentException("window " + w + " has " + windows.get(w).length + " ids, more than T = " + maxLength);
            }
            byLength.computeIfAbsent(t, k -> new ArrayList<>()).add(w);
        }
        List<int[]> out = new ArrayList<>();
        byLength.forEach((t, ws) -> {
            int[] b = new int[ws.size() + 1];
            b[0] = t;
            for (int i = 0; i < ws.size(); i++) {
                b[i + 1] = ws.get(i);
            }
            out.add(b);
        });
        return out;
    }

    /** The empirical distribution of the tags. */
    public static double[] distribution(int[] tags) {
        double[] d = new double[UPOS.size()];
        for (int t : tags) {
            d[t]++;
        }
        for (int i = 0; i < d.length; i++) {
            d[i] /= Math.max(1, tags.length);
        }
        return d;
    }

    /**
     * The control task: each word type (its lower-cased form) gets one tag drawn from {@code distribution}
     * by a seed that depends on the type alone, so a type has the same control tag wherever it occurs, in
     * every split.
     */
    // tag::control[]
    public static int[] controlTags(String[] forms, double[] distribution, long seed) {
        int[] out = new int[forms.length];
        for (int i = 0; i < forms.length; i++) {
            double u = Seeds.unit(Seeds.of(seed, CONTROL, forms[i].hashCode()));   // uniform in [0, 1), per type
            int tag = 0;
            double cumulative = distribution[0];
            while (u >= cumulative && tag < distribution.length - 1) {            // inverse of the CDF
                cumulative += distribution[++tag];
            }
            out[i] = tag;
        }
        return out;
    }
    // end::control[]

    /** The most frequent tag of each training word; unseen test words get the most frequent tag overall. */
    public static MostFrequent mostFrequent(Words train, Words test) {
        Map<String, int[]> counts = new HashMap<>();
        int[] overall = new int[UPOS.size()];
        for (int i = 0; i < train.size(); i++) {
            counts.computeIfAbsent(train.forms()[i], k -> new int[UPOS.size()])[train.tags()[i]]++;
            overall[train.tags()[i]]++;
        }
        int fallback = argMax(overall);
        Map<String, Integer> best = new HashMap<>();
        counts.forEach((form, c) -> best.put(form, argMax(c)));
        long correct = 0, unseen = 0, seenCorrect = 0;
        for (int i = 0; i < test.size(); i++) {
            Integer tag = best.get(test.forms()[i]);
            unseen += tag == null ? 1 : 0;
            boolean right = (tag == null ? fallback : tag) == test.tags()[i];
            correct += right ? 1 : 0;
            seenCorrect += tag != null && right ? 1 : 0;
        }
        int n = test.size();
        return new MostFrequent((double) correct / n, (double) unseen / n,
                n == unseen ? Double.NaN : (double) seenCorrect / (n - unseen), UPOS.get(fallback));
    }

    private static int argMax(int[] c) {
        int best = 0;
        for (int i = 1; i < c.length; i++) {
            best = c[i] > c[best] ? i : best;       // ties: the earlier tag in UD's order
        }
        return best;
    }

    /**
     * The probe at every layer of {@code model}, on the tags and on the control task.
     *
     * @param label e.g. "pre-trained", for progress messages
     */
    public static List<Layer> probeLayers(String label, BertForMaskedLM model, Words train, Words dev, Words test,
                                          ProbeTraining.Settings settings, int batchSize, long seed, Progress progress) {
        double[] distribution = distribution(train.tags());
        int[][] control = {controlTags(train.forms(), distribution, seed), controlTags(dev.forms(), distribution, seed),
                controlTags(test.forms(), distribution, seed)};
        progress.report(String.format(Locale.ROOT, "POS probe (%s): features of %,d + %,d + %,d words", label,
                train.size(), dev.size(), test.size()));
        float[][] fTrain = features(model, train, batchSize);
        float[][] fDev = features(model, dev, batchSize);
        float[][] fTest = features(model, test, batchSize);
        int h = model.config().hiddenSize(), k = UPOS.size();
        List<Layer> out = new ArrayList<>();
        for (int l = 0; l < fTrain.length; l++) {
            ProbeTraining.Outcome real = ProbeTraining.fit(new ProbeTraining.Split(fTrain[l], train.tags(), h),
                    new ProbeTraining.Split(fDev[l], dev.tags(), h), new ProbeTraining.Split(fTest[l], test.tags(), h),
                    k, settings, Products.standard());
            ProbeTraining.Outcome ctl = ProbeTraining.fit(new ProbeTraining.Split(fTrain[l], control[0], h),
                    new ProbeTraining.Split(fDev[l], control[1], h), new ProbeTraining.Split(fTest[l], control[2], h),
                    k, settings, Products.standard());
            out.add(new Layer(l, real, ctl));
            progress.report(String.format(Locale.ROOT, "POS probe (%s), layer %d: %.1f%% (control %.1f%%)", label, l,
                    100 * real.testAccuracy(), 100 * ctl.testAccuracy()));
            fTrain[l] = null;                                    // let the layer's features go
        }
        return out;
    }
}
