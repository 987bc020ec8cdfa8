package minibert.book;

import minibert.bench.ModelProducts;
import minibert.config.ModelConfig;
import minibert.config.TrainConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What this build's measured step time means at the scale the book trains: the configured number of steps at
 * that rate, as a projection the prose quotes instead of a guess; and how the measured loss at initialisation
 * compares with ln V. It reads the figures the model and training producers published ({@code model/step},
 * {@code training/step}), so it runs after both.
 */
public final class ScaleResults implements ResultProducer {

    /** A loss at initialisation within this share of ln V is "close to" it. */
    static final double CLOSE = 0.02;

    @Override
    public String name() {
        return "scale";
    }

    @Override
    public void produce(Results results) {
        Path trainFile = ProjectFiles.projectDir().resolve(ModelProducts.TRAIN_CONFIG);
        TrainConfig train = TrainConfig.load(trainFile);
        ModelConfig model = train.modelConfig();
        // the training step as the trainer runs it: float32, forward, backward and AdamW (the training producer's)
        String seconds = results.findAttribute("training/step", "float32-seconds").orElseThrow(() -> new IllegalStateException(
                "scale: the training producer published no training/step float32-seconds; it must run before this one"));
        String loss = results.findAttribute("model/step", "loss").orElseThrow(() -> new IllegalStateException(
                "scale: the model producer published no model/step loss"));
        double step = Double.parseDouble(seconds), hours = step * train.steps() / 3600;
        results.publish("scale/pretraining").config(trainFile)
                .attribute("step-seconds", seconds)
                .attribute("steps", String.format(Locale.ROOT, "%,d", train.steps()))
                .attribute("hours", String.format(Locale.ROOT, "%.0f", hours))
                .attribute("days", String.format(Locale.ROOT, "%.1f", hours / 24))
                .table("Pre-training at this build's step time (a projection from the measured step, not a measured run)",
                        List.of("Measured float32 training step (training/step)", "Steps configured", "Projected time"),
                        List.of(List.of(seconds + " s", String.format(Locale.ROOT, "%,d", train.steps()),
                                String.format(Locale.ROOT, "%.0f hours (%.1f days)", hours, hours / 24))));
        double lnV = Math.log(model.vocabSize()), initial = Double.parseDouble(loss), off = Math.abs(initial - lnV) / lnV;
        results.publish("scale/initial-loss")
                .attribute("ln-v", String.format(Locale.ROOT, "%.4f", lnV))
                .attribute("sentence", String.format(Locale.ROOT, off <= CLOSE
                        ? "is within %.1f%% of ln V = %.4f, the loss of a uniform guess over the vocabulary, as it should be for small random weights"
                        : "is %.1f%% away from ln V = %.4f, the loss of a uniform guess over the vocabulary: small random weights should give nearly a uniform guess, so this initialisation is not as small as intended",
                        100 * off, lnV))
                .number("The loss at initialisation against ln V, relative difference", off, "%.4f");
    }
}
