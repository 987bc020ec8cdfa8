package minibert.model.checkpoint;

import minibert.model.BertForMaskedLM;
import minibert.model.GradientCheck;
import minibert.nn.Param;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointTest {

    @TempDir
    Path dir;

    @Test
    void theBytesOfATinyFileAreExactlyTheFormat() throws IOException {
        Path f = dir.resolve("t.safetensors");
        Safetensors.write(f, Map.of("a", new Tensor(new long[] {2}, new double[] {1.0, -2.0})), Safetensors.DType.F32, Map.of());
        byte[] b = Files.readAllBytes(f);
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";   // 54 bytes, padded to 56
        assertEquals(54, json.length());
        ByteBuffer expected = ByteBuffer.allocate(8 + 56 + 8).order(ByteOrder.LITTLE_ENDIAN);
        expected.putLong(56).put(json.getBytes(StandardCharsets.UTF_8)).put((byte) ' ').put((byte) ' ');
        expected.put(new byte[] {0x00, 0x00, (byte) 0x80, 0x3f});                  // 1.0f little-endian
        expected.put(new byte[] {0x00, 0x00, 0x00, (byte) 0xc0});                  // -2.0f
        assertArrayEquals(expected.array(), b);
    }

    @Test
    void aModelRoundTripsBitExactInF64AndToFloatRoundingInF32() throws IOException {
        BertForMaskedLM model = new BertForMaskedLM(GradientCheck.smallConfig(), 5);
        Checkpoint.save(dir.resolve("f64"), model, Safetensors.DType.F64, null);
        BertForMaskedLM back = Checkpoint.load(dir.resolve("f64"));
        assertEquals(model.config(), back.config());
        for (int i = 0; i < model.parameters().size(); i++) {
            assertArrayEquals(model.parameters().get(i).value().data, back.parameters().get(i).value().data,
                    model.parameters().get(i).name());
        }
        Checkpoint.save(dir.resolve("f32"), model, Safetensors.DType.F32, null);
        BertForMaskedLM f32 = Checkpoint.load(dir.resolve("f32"));
        for (int i = 0; i < model.parameters().size(); i++) {
            double[] a = model.parameters().get(i).value().data, b = f32.parameters().get(i).value().data;
            for (int k = 0; k < a.length; k++) {
                assertEquals((double) (float) a[k], b[k]);
            }
        }
        String config = Files.readString(dir.resolve("f32/config.json"));
        assertTrue(config.contains("\"architectures\" : [ \"BertForMaskedLM\" ]") && config.contains("\"model_type\" : \"bert\""), config);
        assertTrue(config.contains("\"layer_norm_eps\" : 1.0E-12"), config);
    }

    @Test
    void tensorNamesAndShapesAreThoseOfHuggingFace() {
        BertForMaskedLM model = new BertForMaskedLM(GradientCheck.smallConfig(), 1);
        Map<String, String> shapes = new LinkedHashMap<>();
        for (Param p : model.parameters()) {
            shapes.put(p.name(), java.util.Arrays.toString(Checkpoint.hfShape(p)));
        }
        assertEquals("[29, 12]", shapes.get("bert.embeddings.word_embeddings.weight"));
        assertEquals("[12]", shapes.get("bert.embeddings.LayerNorm.weight"));
        assertEquals("[12, 12]", shapes.get("bert.encoder.layer.1.attention.self.query.weight"));
        assertEquals("[17, 12]", shapes.get("bert.encoder.layer.0.intermediate.dense.weight"));
        assertEquals("[12, 17]", shapes.get("bert.encoder.layer.0.output.dense.weight"));
        assertEquals("[29]", shapes.get("cls.predictions.bias"));
        assertEquals("[12]", shapes.get("cls.predictions.transform.LayerNorm.bias"));
        assertFalse(shapes.containsKey("cls.predictions.decoder.weight"), "the tied decoder is stored once");
        assertEquals(5 + 16 * 2 + 5, shapes.size());
    }

    @Test
    void missingExtraAndMisshapenTensorsAreRejectedByName() throws IOException {
        BertForMaskedLM model = new BertForMaskedLM(GradientCheck.smallConfig(), 5);
        Checkpoint.save(dir.resolve("c"), model, Safetensors.DType.F32, null);
        Path st = dir.resolve("c/model.safetensors");
        Map<String, Tensor> tensors = new LinkedHashMap<>(Safetensors.read(st).tensors());

        Map<String, Tensor> missing = new LinkedHashMap<>(tensors);
        missing.remove("cls.predictions.bias");
        Safetensors.write(st, missing, Safetensors.DType.F32, Map.of());
        assertTrue(assertThrows(CheckpointException.class, () -> Checkpoint.load(dir.resolve("c"))).getMessage()
                .contains("missing tensor cls.predictions.bias [29]"));

        Map<String, Tensor> extra = new LinkedHashMap<>(tensors);
        extra.put("bert.encoder.layer.9.output.dense.bias", new Tensor(new long[] {12}, new double[12]));
        Safetensors.write(st, extra, Safetensors.DType.F32, Map.of());
        assertTrue(assertThrows(CheckpointException.class, () -> Checkpoint.load(dir.resolve("c"))).getMessage()
                .contains("unexpected tensors [bert.encoder.layer.9.output.dense.bias]"));

        Map<String, Tensor> misshapen = new LinkedHashMap<>(tensors);
        misshapen.put("bert.embeddings.LayerNorm.weight", new Tensor(new long[] {1, 12}, new double[12]));
        Safetensors.write(st, misshapen, Safetensors.DType.F32, Map.of());
        assertTrue(assertThrows(CheckpointException.class, () -> Checkpoint.load(dir.resolve("c"))).getMessage()
                .contains("tensor bert.embeddings.LayerNorm.weight has shape [1, 12], the config needs [12]"));
    }

    private Path raw(String header, int dataBytes, long declared) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declared < 0 ? h.length : declared).put(h);
        Path f = Files.createTempFile(dir, "bad", ".safetensors");
        Files.write(f, b.array());
        return f;
    }

    private void assertCorrupt(Path f, String expected) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> Safetensors.read(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void corruptFilesAreRejectedWithAReason() throws IOException {
        String ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        assertCorrupt(raw(ok, 8, 1L << 40), "declares a header of");
        assertCorrupt(raw("{\"a\":", 8, -1), "not valid JSON");
        assertCorrupt(raw(ok.replace("F32", "Q7"), 8, -1), "has dtype the text \"Q7\", which safetensors does not define");
        assertCorrupt(raw(ok.replace("F32", "BF16"), 8, -1), "dtype BF16 needs 4 bytes, its offsets give 8");
        assertCorrupt(raw(ok.replace("[0,8]", "[0,16]"), 8, -1), "outside the 8 bytes of data");
        assertCorrupt(raw(ok.replace("[2]", "[3]"), 8, -1), "needs 12 bytes, its offsets give 8");
        assertCorrupt(raw(ok, 12, -1), "cover 8 bytes of data, but the file holds 12");
        assertCorrupt(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, -1), "overlaps");
        assertCorrupt(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, -1), "not valid JSON");
        Path tiny = dir.resolve("tiny");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertCorrupt(tiny, "shorter than the 8-byte header length");
    }

    @Test
    void aFailedSaveLeavesNoPartialCheckpoint() throws IOException {
        BertForMaskedLM model = new BertForMaskedLM(GradientCheck.smallConfig(), 5);
        Path target = dir.resolve("ckpt");
        assertThrows(CheckpointException.class,
                () -> Checkpoint.save(target, model, Safetensors.DType.F32, dir.resolve("no-tokenizer-here")));
        assertFalse(Files.exists(target));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.map(p -> p.getFileName().toString()).toList(), "temporary folders left behind");
        }
    }

    @Test
    void unknownActivationsInConfigJsonAreRejected() throws IOException {
        BertForMaskedLM model = new BertForMaskedLM(GradientCheck.smallConfig(), 5);
        Checkpoint.save(dir.resolve("c"), model, Safetensors.DType.F32, null);
        Path cfg = dir.resolve("c/config.json");
        Files.writeString(cfg, Files.readString(cfg).replace("\"gelu\"", "\"relu\""));
        assertTrue(assertThrows(CheckpointException.class, () -> Checkpoint.load(dir.resolve("c"))).getMessage()
                .contains("hidden_act \"relu\" is not supported"));
    }
}
