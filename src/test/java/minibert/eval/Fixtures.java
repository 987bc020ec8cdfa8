package minibert.eval;

import minibert.config.ModelConfig;
import minibert.nn.Param;
import minibert.text.Vocabulary;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small, odd-sized things to evaluate: a vocabulary of a few words and a model of H = 12, A = 3, L = 2. */
final class Fixtures {

    static final List<String> WORDS = List.of("the", "movie", "was", "good", "bad", "a", "plot", "is", "dull", "great",
            ".", ",", "un", "##aff", "##able", "and", "it", "not");

    private Fixtures() {
    }

    static Vocabulary vocabulary() {
        List<String> tokens = new ArrayList<>(Vocabulary.SPECIALS);
        tokens.addAll(WORDS);
        return new Vocabulary(tokens);
    }

    /** V = the fixture vocabulary's size, H = 12, L = 2, A = 3, I = 17, T = 11. */
    static ModelConfig config(int length) {
        return new ModelConfig(vocabulary().size(), 12, 2, 3, 17, length, 2, 1e-12, "gelu", 0.1, 0.1, 0.02);
    }

    /** Adds noise to every parameter, so that every path carries a clearly non-zero signal. */
    static void perturb(List<Param> params, long seed, double scale) {
        Random random = new Random(seed);
        for (Param p : params) {
            for (int i = 0; i < p.size(); i++) {
                p.value().data[i] += scale * random.nextGaussian();
            }
        }
    }
}
