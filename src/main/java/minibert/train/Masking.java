package minibert.train;

import minibert.model.Batch;
import minibert.nn.MlmHead;
import minibert.text.Vocabulary;

import java.util.Random;

/**
 * BERT's masked-language-model corruption, in place on a batch: in each sequence, a share p of the
 * candidate positions is selected; a selected position's label becomes its token, and its input becomes
 * {@code [MASK]} (80%), a random token (10%) or stays unchanged (10%). Every other label is
 * {@link MlmHead#IGNORE}.
 *
 * <p>As in {@code create_masked_lm_predictions} of google-research/bert, each sequence gets exactly
 * {@code max(1, round(n·p))} predictions among its n candidates (BERT multiplies the length including
 * [CLS] and [SEP]; we count the candidates, which is what p is a share of). Round half to even, as
 * Python 3's {@code round}. The positions are a uniformly random subset (BERT shuffles the candidates
 * and takes the first ones). No cap per sequence ({@code max_predictions_per_seq}): at T = 64 and
 * p = 0.15 it never binds.
 *
 * <p>Candidates are the real (mask 1) positions holding a non-special token. [CLS], [SEP] and [PAD] are
 * structure, not text; [UNK] is left out too (as Hugging Face's collator does), since predicting it
 * teaches nothing; [MASK] never occurs in the cached corpus.
 *
 * <p>Not thread-safe (one scratch array and one generator, reused: no allocation per batch).
 */
public final class Masking {

    private final double probability;
    private final int vocabSize;
    private final int maskId;
    private final Random rng = new Random(0);
    private int[] candidates = new int[0];

    /**
     * @param vocabulary    gives V and the special tokens' ids
     * @param probability   p, the share of candidates selected (the training config's {@code mask_probability})
     */
    public Masking(Vocabulary vocabulary, double probability) {
        if (!(probability > 0 && probability <= 1)) {
            throw new IllegalArgumentException("mask probability must be in (0, 1], found " + probability);
        }
        if (vocabulary.size() <= Vocabulary.SPECIALS.size()) {
            throw new IllegalArgumentException("a vocabulary of only special tokens has nothing to draw a random token from");
        }
        this.probability = probability;
        this.vocabSize = vocabulary.size();
        this.maskId = vocabulary.maskId();
    }

    /** The number of positions selected among {@code candidates}: max(1, round(n·p)), or 0 when n = 0. */
    public static int count(int candidates, double probability) {
        return candidates == 0 ? 0 : Math.max(1, (int) Math.rint(candidates * probability));
    }

    /** Whether a token may be selected: every token but the special ones (ids 0–4). */
    public static boolean isCandidate(int id) {
        return id >= Vocabulary.SPECIALS.size();
    }

    /**
     * Masks every row of the batch. Row r draws from (seed, r) alone, so a row's masks do not depend on the
     * other rows.
     *
     * @param seed  e.g. {@code Seeds.of(runSeed, Seeds.MASKING, step)}: a new mask every step (dynamic
     *              masking), reproducible on resume
     * @param batch ids Modified (at selected positions); labels Modified (all); types, mask Not modified
     * @return M, the number of selected positions in the batch
     */
    public int apply(long seed, Batch batch) {
        int t = batch.length();
        if (candidates.length < t) {
            candidates = new int[t];
        }
        int[] ids = batch.inputIds(), labels = batch.labels(), mask = batch.attentionMask();
        int total = 0;
        for (int row = 0; row < batch.batch(); row++) {
            rng.setSeed(Seeds.of(seed, Seeds.MASKING, row));
            int n = 0;
            for (int i = row * t; i < (row + 1) * t; i++) {
                labels[i] = MlmHead.IGNORE;
                if (mask[i] == 1 && isCandidate(ids[i])) {
                    candidates[n++] = i;
                }
            }
            total += mask(ids, labels, n, count(n, probability));
        }
        return total;
    }

    // tag::mask[]
    private int mask(int[] ids, int[] labels, int n, int m) {
        for (int k = 0; k < m; k++) {
            int j = k + rng.nextInt(n - k);              // a uniform subset of m: a partial Fisher–Yates shuffle
            int position = candidates[j];
            candidates[j] = candidates[k];
            candidates[k] = position;
            labels[position] = ids[position];            // predict the original token here
            // The 80/10/10 rule (Devlin et al. 2019, section 3.1 and appendix C.2).
            // 80% [MASK]: the task itself. But [MASK] never occurs in fine-tuning, where every input is a
            // real token; if all selected positions were [MASK], the loss would only ever be computed where
            // the input is [MASK], and nothing would train the output at a real token to describe it.
            // 10% a random token: the model cannot tell which real-looking tokens are wrong, so it must
            // build a contextual representation of every position, not only of the [MASK] ones.
            // 10% unchanged: here the input is the answer, which biases the representation of a real token
            // toward the token actually observed: the case fine-tuning is always in.
            if (rng.nextDouble() < 0.8) {
                ids[position] = maskId;
            } else if (rng.nextDouble() < 0.5) {
                // unchanged
            } else {
                // A random non-special token. BERT draws from the whole vocabulary, specials included; we do
                // not: a random [MASK] would raise the [MASK] share above 80%, and a random [SEP], [CLS] or
                // [PAD] would put structure tokens where the model has learned they cannot be. It may equal
                // the original token, as in BERT (a chance of 1 in V − 5).
                ids[position] = Vocabulary.SPECIALS.size() + rng.nextInt(vocabSize - Vocabulary.SPECIALS.size());
            }
        }
        return m;
    }
    // end::mask[]
}
