package minibert.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainConfigTest {

    @TempDir
    Path dir;

    private static final Path PROJECT = Path.of(System.getProperty("minibert.project.dir", "."));

    @Test
    void readsTheProjectsTrainingAndEvaluationConfigs() {
        TrainConfig t = TrainConfig.load(PROJECT.resolve("configs/train/pretrain.yaml"));
        assertEquals(0.15, t.maskProbability());
        assertEquals(64, t.sequenceLength());
        assertEquals(192, t.modelConfig().hiddenSize());
        EvalConfig e = EvalConfig.load(PROJECT.resolve("configs/eval/default.yaml"));
        assertTrue(e.sst2MaxLength() >= 3);
    }

    private Path trainConfig(String edit, String replacement) throws IOException {
        Files.createDirectories(dir.resolve("model"));
        Files.writeString(dir.resolve("model/m.yaml"), ModelConfigTest.VALID);
        Files.createDirectories(dir.resolve("train"));
        String text = Files.readString(PROJECT.resolve("configs/train/pretrain.yaml"))
                .replace("../model/mini-bert.yaml", "../model/m.yaml")
                .replace("sequence_length: 64", "sequence_length: 7")
                .replace("warmup_steps: 2000", "warmup_steps: 20")
                .replace("steps: 100000", "steps: 100");
        if (edit != null) {
            text = text.replaceAll("(?m)^" + edit + ":.*$", replacement);
        }
        Path f = dir.resolve("train/t.yaml");
        Files.writeString(f, text);
        return f;
    }

    @Test
    void resolvesTheModelRelativeToTheFile() throws IOException {
        TrainConfig t = TrainConfig.load(trainConfig(null, null));
        assertEquals(12, t.modelConfig().hiddenSize());
    }

    @Test
    void rejectsANegativeLearningRate() throws IOException {
        Path f = trainConfig("learning_rate", "learning_rate: -1.0e-4");
        ConfigException e = assertThrows(ConfigException.class, () -> TrainConfig.load(f));
        assertEquals("learning_rate", e.key());
    }

    @Test
    void rejectsASequenceLongerThanTheModelsPositions() throws IOException {
        Path f = trainConfig("sequence_length", "sequence_length: 8");
        ConfigException e = assertThrows(ConfigException.class, () -> TrainConfig.load(f));
        assertEquals("sequence_length", e.key());
        assertTrue(e.getMessage().contains("max_position_embeddings 7"), e.getMessage());
    }

    @Test
    void rejectsWarmupLongerThanTraining() throws IOException {
        Path f = trainConfig("warmup_steps", "warmup_steps: 101");
        assertEquals("warmup_steps", assertThrows(ConfigException.class, () -> TrainConfig.load(f)).key());
    }

    @Test
    void rejectsABrokenModelReference() throws IOException {
        Path f = trainConfig("model", "model: ../model/absent.yaml");
        ConfigException e = assertThrows(ConfigException.class, () -> TrainConfig.load(f));
        assertEquals("model", e.key());
        assertTrue(e.getMessage().contains("absent.yaml"), e.getMessage());
    }

    @Test
    void rejectsAnUnknownCorpus() throws IOException {
        Path f = trainConfig("corpus", "corpus: wikipedia");
        assertEquals("corpus", assertThrows(ConfigException.class, () -> TrainConfig.load(f)).key());
    }
}
