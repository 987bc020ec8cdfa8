package minibert.explore;

import minibert.config.ModelConfig;
import minibert.model.BertForMaskedLM;
import minibert.model.GradientCheck;
import minibert.nn.Param;
import minibert.text.Vocabulary;
import minibert.text.WordPiece;

import java.util.ArrayList;
import java.util.List;

/** The gradient check's small model (V=29, H=12, L=2, A=3, I=17, T=7) with weights large enough to attend sharply. */
final class SmallModel {

    private SmallModel() {
    }

    static BertForMaskedLM model(long seed) {
        ModelConfig c = GradientCheck.smallConfig();
        BertForMaskedLM m = new BertForMaskedLM(c, seed);
        for (Param p : m.parameters()) {
            if (p.kind() == Param.Kind.WEIGHT || p.kind() == Param.Kind.EMBEDDING) {
                for (int i = 0; i < p.size(); i++) {
                    p.value().data[i] *= 40;                 // std 0.8 instead of 0.02: heads that pick keys
                }
            }
        }
        return m;
    }

    /** 29 pieces: the five specials and 24 others. */
    static WordPiece wordPiece() {
        List<String> tokens = new ArrayList<>(Vocabulary.SPECIALS);
        tokens.addAll(List.of("the", "movie", "was", "great", "bad", "a", "film", "it", "is", "not", "good", "and", "un",
                "##aff", "##able", "plot", "actor", ".", ",", "!", "very", "fun", "##ny", "boring"));
        return new WordPiece(new Vocabulary(tokens));
    }
}
