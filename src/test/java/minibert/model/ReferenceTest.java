package minibert.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import minibert.book.ProjectFiles;
import minibert.model.checkpoint.Checkpoint;
import minibert.model.checkpoint.Safetensors;
import minibert.model.checkpoint.Tensor;
import minibert.nn.Param;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * minibert against an independent PyTorch implementation (tools/reference/bert_reference.py, float64), as
 * llm.c's test_gpt2.c: the loss, the log-probabilities at the labelled rows and every parameter's gradient,
 * printed per tensor with the first values of both sides and the largest difference.
 */
class ReferenceTest {

    private static final String[] FILES = {"config.json", "model.safetensors", "gradients.safetensors", "fixture.json"};

    @TempDir
    Path tmp;

    private static Path small() {
        return ProjectFiles.projectDir().resolve(ReferenceFixture.SMALL);
    }

    @Test
    void theLossTheLogProbabilitiesAndEveryGradientMatchPyTorch() {
        ReferenceFixture fixture = ReferenceFixture.load(small());
        ReferenceComparison c = ReferenceComparison.run(fixture);
        System.out.println("minibert against PyTorch " + fixture.torch() + " (" + fixture.script() + " v"
                + fixture.generatorVersion() + "):");
        System.out.print(c.report(5));

        assertEquals(fixture.loss(), c.loss(), ReferenceComparison.LOSS_TOLERANCE, "loss");
        assertEquals(fixture.maskedLogits().length, c.maskedRows(), "labelled rows");
        assertTrue(c.maxLogProbDifference() <= ReferenceComparison.LOG_PROB_TOLERANCE,
                "log-probabilities differ by " + c.maxLogProbDifference());
        // Every parameter has a reference gradient and every reference gradient a parameter.
        assertEquals(List.of(), c.withoutReference(), "parameters without a reference gradient");
        assertEquals(List.of(), c.withoutParameter(), "reference gradients without a parameter");
        assertEquals(5 + 16 * 2 + 5, c.tensors().size());
        for (ReferenceComparison.TensorRow r : c.tensors()) {
            assertTrue(r.passed(), r.name() + " " + r.shape() + " (PyTorch " + r.referenceShape()
                    + "): max |ours - PyTorch| " + r.maxDifference());
        }
        assertTrue(c.passed());
    }

    @Test
    void theFixtureIsTheGradientCheckConfigurationAndLoadsBitExactInF64() throws IOException {
        Path dir = small();
        assertEquals(GradientCheck.smallConfig(), Checkpoint.readConfig(dir.resolve("config.json")));
        ObjectMapper json = new ObjectMapper();
        assertEquals(json.readTree(Checkpoint.configJson(GradientCheck.smallConfig(), Safetensors.DType.F64)),
                json.readTree(dir.resolve("config.json").toFile()), "config.json has the keys and values Checkpoint writes");

        // Decode the weights by hand, independently of Safetensors.read, and compare bit for bit.
        byte[] bytes = Files.readAllBytes(dir.resolve("model.safetensors"));
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = Math.toIntExact(buf.getLong(0));
        JsonNode header = json.readTree(new String(bytes, 8, headerLength, StandardCharsets.UTF_8));
        BertForMaskedLM model = ReferenceFixture.load(dir).model();
        assertEquals(model.parameters().size() + 1, header.size(), "one entry per parameter, and the metadata");
        for (Param p : model.parameters()) {
            JsonNode entry = header.get(p.name());
            assertEquals("F64", entry.get("dtype").asText(), p.name());
            int begin = 8 + headerLength + entry.get("data_offsets").get(0).asInt();
            for (int i = 0; i < p.value().getNumElements(); i++) {
                assertEquals(buf.getLong(begin + 8 * i), Double.doubleToRawLongBits(p.value().data[i]), p.name() + "[" + i + "]");
            }
        }
    }

    @Test
    void aRenamedGradientFailsTheComparison() throws IOException {
        String name = "bert.encoder.layer.1.output.LayerNorm.weight";
        Path copy = copyWithGradients(g -> g.put(name.replace("output.LayerNorm", "output.layer_norm"), g.remove(name)));
        ReferenceComparison c = ReferenceComparison.run(ReferenceFixture.load(copy));
        assertFalse(c.passed());
        assertEquals(List.of(name), c.withoutReference());
        assertEquals(List.of("bert.encoder.layer.1.output.layer_norm.weight"), c.withoutParameter());
        assertTrue(c.report(3).contains("FAIL: no reference gradient for " + name), c.report(3));
    }

    @Test
    void aGradientOffByTenTimesTheToleranceFailsThatTensorOnly() throws IOException {
        String name = "bert.encoder.layer.0.attention.self.value.weight";
        Path copy = copyWithGradients(g -> g.get(name).values()[7] += 10 * ReferenceComparison.GRADIENT_TOLERANCE);
        ReferenceComparison c = ReferenceComparison.run(ReferenceFixture.load(copy));
        assertFalse(c.passed());
        for (ReferenceComparison.TensorRow r : c.tensors()) {
            assertEquals(!r.name().equals(name), r.passed(), r.name() + ": " + r.maxDifference());
        }
    }

    @Test
    void theAdamWRunIsReadableForTheOptimizerTest() {
        ReferenceFixture fixture = ReferenceFixture.load(small());
        ReferenceFixture.AdamW a = fixture.adamw();
        assertEquals(10, a.steps());
        assertEquals(11, a.losses().length);
        assertEquals(fixture.loss(), a.losses()[0], 1e-15, "the loss before the first update is the fixture's loss");
        for (int i = 1; i < a.losses().length; i++) {
            assertTrue(a.losses()[i] < a.losses()[i - 1], "AdamW on one batch lowers its loss at step " + i);
        }
        assertEquals(1e-3, a.lr());
        assertEquals(0.9, a.beta1());
        assertEquals(0.999, a.beta2());
        assertEquals(1e-6, a.eps());
        assertEquals(0.01, a.weightDecay());
        // Decay on every matrix (Linear weights and the three embedding tables), none on vectors.
        Set<String> decay = new HashSet<>(a.decay()), noDecay = new HashSet<>(a.noDecay());
        assertEquals(a.decay().size() + a.noDecay().size(), decay.size() + noDecay.size(), "no name listed twice");
        for (Param p : fixture.model().parameters()) {
            boolean matrix = Checkpoint.hfShape(p).length == 2;
            assertTrue(matrix ? decay.remove(p.name()) : noDecay.remove(p.name()), p.name() + " in the wrong group");
        }
        assertTrue(decay.isEmpty() && noDecay.isEmpty(), "names no parameter has: " + decay + noDecay);
    }

    /** A copy of the small fixture whose gradients {@code edit} changed. */
    private Path copyWithGradients(java.util.function.Consumer<Map<String, Tensor>> edit) throws IOException {
        Path copy = tmp.resolve("fixture");
        Files.createDirectories(copy);
        for (String f : FILES) {
            Files.copy(small().resolve(f), copy.resolve(f));
        }
        Map<String, Tensor> gradients = new LinkedHashMap<>(Safetensors.read(copy.resolve("gradients.safetensors")).tensors());
        edit.accept(gradients);
        Safetensors.write(copy.resolve("gradients.safetensors"), gradients, Safetensors.DType.F64, Map.of("format", "pt"));
        return copy;
    }
}
