package minibert.bench;

import minibert.config.ModelConfig;
import minibert.config.TrainConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The measured shapes follow the configurations: none is typed in. */
class ModelProductsTest {

    @Test
    void theShapesComeFromTheConfigurations() {
        Path project = Path.of(System.getProperty("minibert.project.dir", ".")).toAbsolutePath();
        TrainConfig train = TrainConfig.load(project.resolve(ModelProducts.TRAIN_CONFIG));
        ModelConfig model = train.modelConfig();
        ModelProducts p = ModelProducts.load(project);
        int rows = train.batchSize() * train.sequenceLength();
        assertEquals(rows, p.rows());
        assertEquals(Math.round(train.maskProbability() * rows), p.masked());
        List<ProductShape> shapes = p.shapes();
        assertTrue(shapes.stream().anyMatch(s -> s.m() == p.masked() && s.n() == model.vocabSize() && s.k() == model.hiddenSize()),
                "the MLM decoder is M × V × H");
        ProductShape attention = shapes.get(shapes.size() - 1);
        assertEquals(train.batchSize() * model.numHeads(), attention.batch());
        assertEquals(model.headSize(), attention.k());
        assertEquals(rows, p.projection().m());
        assertEquals(3 * model.hiddenSize(), p.queryKeyValue().n(), "Q, K and V are one product, 3H wide");
        assertTrue(shapes.contains(p.queryKeyValue()) && shapes.contains(p.projection()));
        assertTrue(shapes.stream().anyMatch(s -> s.m() == rows && s.n() == model.hiddenSize() && s.k() == 3 * model.hiddenSize()),
                "the packed projections' input gradient is B·T × H × 3H");
        assertEquals(model.intermediateSize(), p.ffnUp().n());
        assertEquals(rows, p.ffnWeightGradient().k());
        assertTrue(p.ffnWeightGradient().transA());
        // the tied decoder's backward pass: dzᵀ·t, a V × H sum over the M masked rows, and dz·E, M × H over V
        assertTrue(shapes.contains(p.decoderWeightGradient()) && shapes.contains(p.decoderInputGradient()));
        assertEquals(List.of(model.vocabSize(), model.hiddenSize(), p.masked()),
                List.of(p.decoderWeightGradient().m(), p.decoderWeightGradient().n(), p.decoderWeightGradient().k()));
        assertTrue(p.decoderWeightGradient().transA() && !p.decoderWeightGradient().transB());
        assertEquals(List.of(p.masked(), model.hiddenSize(), model.vocabSize()),
                List.of(p.decoderInputGradient().m(), p.decoderInputGradient().n(), p.decoderInputGradient().k()));
    }

    @Test
    void oddSizesGiveOddShapes() {
        ModelProducts p = new ModelProducts(3, 7, 12, 37, 99, 3, 4, 0.15);
        assertEquals(21, p.rows());
        assertEquals(3, p.masked(), "0.15 × 21 = 3.15");
        assertEquals(2.0 * 21 * 37 * 12, p.ffnUp().flops());
        ProductShape s = new ProductShape("x", 2, 3, 4, false, true, 5);
        assertEquals("5 × 2×3×4", s.dims());
        assertEquals(2.0 * 2 * 3 * 4 / (8.0 * (2 * 4 + 4 * 3 + 2 * 2 * 3)), s.intensity(), 1e-15);
    }

    @Test
    void cacheSizesAreReadAsTheKernelWritesThem() {
        assertEquals(32L << 20, MemoryBandwidth.parseSize("32768K"));
        assertEquals(1L << 20, MemoryBandwidth.parseSize("1M"));
        assertEquals(512, MemoryBandwidth.parseSize("512"));
        assertTrue(MemoryBandwidth.arrayBytes() >= MemoryBandwidth.MIN_ARRAY_BYTES);
        assertTrue(MemoryBandwidth.arrayBytes() >= 4 * MemoryBandwidth.largestCacheBytes());
        assertEquals(11, TileExperiment.registers(4, 2));
        assertEquals(29, TileExperiment.registers(6, 4));
    }
}
