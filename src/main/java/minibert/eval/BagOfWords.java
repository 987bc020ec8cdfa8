package minibert.eval;

import minibert.data.Sst2Reader.Sst2Example;
import minibert.text.BasicTokenizer;
import minibert.train.Seeds;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The classic baseline of sentence classification: logistic regression on a bag of words. A sentence is
 * the set of its (basic-tokenized, lower-cased) words; its score is the sum of their weights plus a bias,
 * p(positive) = σ(b + Σ_{w ∈ s} θ_w). Trained by stochastic gradient descent on the log loss with an L2
 * penalty; the epoch is chosen on a held-out split, as the fine-tuning's is. Words never seen in training
 * weigh nothing.
 */
public final class BagOfWords {

    static final long ORDER = 41;

    /**
     * @param epochs       passes over the training sentences
     * @param learningRate the SGD step
     * @param l2           the penalty λ on ‖θ‖² (applied to the weights a sentence touches, scaled by how often)
     * @param seed         the order of sentences in each epoch
     */
    public record Settings(int epochs, double learningRate, double l2, long seed) {
    }

    /** The trained model: its held-out accuracy per epoch, the epoch kept, and its accuracy on {@code test}. */
    public record Outcome(int vocabulary, double[] heldOutAccuracy, int bestEpoch, double testAccuracy) {
    }

    private final Map<String, Integer> index = new HashMap<>();
    private double[] weights = new double[0];
    private double bias;

    private BagOfWords() {
    }

    /** Trains on {@code train}, keeps the epoch best on {@code heldOut}, and measures it on {@code test}. */
    public static Outcome fit(List<Sst2Example> train, List<Sst2Example> heldOut, List<Sst2Example> test, Settings s) {
        BagOfWords model = new BagOfWords();
        List<int[]> x = new ArrayList<>();
        for (Sst2Example e : train) {
            x.add(model.features(e.sentence(), true));
        }
        model.weights = new double[model.index.size()];
        double[] accuracies = new double[s.epochs()];
        double[] best = null;
        double bestBias = 0, bestAccuracy = -1;
        int bestEpoch = 0;
        for (int epoch = 1; epoch <= s.epochs(); epoch++) {
            int[] order = ProbeTraining.permutation(train.size(), new Random(Seeds.of(s.seed(), ORDER, epoch)));
            for (int i : order) {
                model.step(x.get(i), train.get(i).label(), s.learningRate(), s.l2());
            }
            accuracies[epoch - 1] = model.accuracy(heldOut);
            if (accuracies[epoch - 1] > bestAccuracy) {
                bestAccuracy = accuracies[epoch - 1];
                bestEpoch = epoch;
                best = model.weights.clone();
                bestBias = model.bias;
            }
        }
        model.weights = best;
        model.bias = bestBias;
        return new Outcome(model.index.size(), accuracies, bestEpoch, model.accuracy(test));
    }

    /** The distinct words of a sentence as indices; unseen ones are added when {@code grow}, else left out. */
    int[] features(String sentence, boolean grow) {
        LinkedHashSet<Integer> ids = new LinkedHashSet<>();
        for (String w : BasicTokenizer.tokenize(sentence)) {
            Integer id = index.get(w);
            if (id == null && grow) {
                id = index.size();
                index.put(w, id);
            }
            if (id != null) {
                ids.add(id);
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** p(positive | sentence) = σ(b + Σ θ_w). */
    double probability(int[] words) {
        double z = bias;
        for (int w : words) {
            z += weights[w];
        }
        return 1 / (1 + Math.exp(-z));
    }

    /** One SGD step on the log loss: ∂/∂θ_w = p − y for every word present, plus λθ_w. */
    // tag::step[]
    void step(int[] words, int label, double rate, double l2) {
        double g = probability(words) - label;                     // d(−log p(y)) / dz
        bias -= rate * g;
        for (int w : words) {
            weights[w] -= rate * (g + l2 * weights[w]);
        }
    }
    // end::step[]

    double accuracy(List<Sst2Example> examples) {
        int correct = 0;
        for (Sst2Example e : examples) {
            int predicted = probability(features(e.sentence(), false)) > 0.5 ? 1 : 0;
            correct += predicted == e.label() ? 1 : 0;
        }
        return (double) correct / examples.size();
    }
}
