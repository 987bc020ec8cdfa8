package minibert.model.checkpoint;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format, as Hugging Face writes it:
 *
 * <pre>
 * ┌────────────────┬──────────────────────────────────────┬──────────────────────────────┐
 * │ N: u64, little │ header: N bytes of UTF-8 JSON, padded │ data: every tensor's bytes,   │
 * │ endian         │ with spaces to a multiple of 8        │ little-endian, back to back   │
 * └────────────────┴──────────────────────────────────────┴──────────────────────────────┘
 * header = {"__metadata__": {…}, "name": {"dtype": "F32", "shape": [r, c], "data_offsets": [begin, end]}, …}
 * </pre>
 *
 * Offsets are relative to the start of the data; the tensors must cover it exactly, without gaps or overlaps.
 */
public final class Safetensors {

    /** The element types this project writes and reads. */
    public enum DType {
        F32(4), F64(8);

        final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }
    }

    private static final long MAX_HEADER = 100L << 20;

    private Safetensors() {
    }

    /** Writes {@code tensors} in order as {@code dtype}, through a temporary file renamed into place. */
    // tag::write[]
    public static void write(Path file, Map<String, Tensor> tensors, DType dtype, Map<String, String> metadata)
            throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (var e : tensors.entrySet()) {
            long bytes = (long) e.getValue().values().length * dtype.bytes;
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", dtype.name());
            var shape = t.putArray("shape");
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] text = json.writeValueAsBytes(header);
        int padded = (text.length + 7) / 8 * 8;                  // the data then starts 8-byte aligned
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(text);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName(), ".part");
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                out.write(head);
                ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                for (Tensor t : tensors.values()) {
                    for (double v : t.values()) {
                        if (buf.remaining() < 8) {
                            buf.flip();
                            out.write(buf);
                            buf.clear();
                        }
                        if (dtype == DType.F32) {
                            buf.putFloat((float) v);
                        } else {
                            buf.putDouble(v);
                        }
                    }
                }
                buf.flip();
                out.write(buf);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
    // end::write[]

    /** What a file holds: tensors in file order and the metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, DType> dtypes, Map<String, String> metadata) {
    }

    /**
     * Reads and validates a file: header length, JSON, dtypes, shapes, offsets (in range, no gaps or
     * overlaps, covering the data exactly) and duplicate names are all checked; errors name the file.
     */
    // tag::read[]
    public static Contents read(Path file) {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = in.size();
            if (size < 8) {
                throw bad(file, "is " + size + " bytes long, shorter than the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(in, lenBuf, 0);
            long n = lenBuf.flip().getLong();
            if (n < 2 || n > MAX_HEADER || n > size - 8) {
                throw bad(file, "declares a header of " + Long.toUnsignedString(n) + " bytes, but the file has "
                        + (size - 8) + " bytes after the length");
            }
            ByteBuffer headBuf = ByteBuffer.allocate((int) n);
            readFully(in, headBuf, 8);
            JsonNode header;
            try {
                header = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                        .readTree(new String(headBuf.array(), StandardCharsets.UTF_8));
            } catch (JsonProcessingException e) {
                throw bad(file, "has a header that is not valid JSON: " + e.getOriginalMessage());
            }
            if (header == null || !header.isObject()) {
                throw bad(file, "has a header that is not a JSON object");
            }
            long dataStart = 8 + n, dataSize = size - dataStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            record Entry(String name, DType dtype, long[] shape, long begin, long end) {
            }
            List<Entry> entries = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                var f = it.next();
                if (f.getKey().equals("__metadata__")) {
                    f.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                JsonNode t = f.getValue();
                String name = f.getKey();
                DType dtype;
                try {
                    dtype = DType.valueOf(t.path("dtype").asText());
                } catch (IllegalArgumentException e) {
                    throw bad(file, "tensor " + name + " has dtype '" + t.path("dtype").asText() + "'; this reader knows F32 and F64");
                }
                JsonNode shapeNode = t.path("shape"), offs = t.path("data_offsets");
                if (!shapeNode.isArray() || !offs.isArray() || offs.size() != 2) {
                    throw bad(file, "tensor " + name + " needs a shape array and two data_offsets");
                }
                long[] shape = new long[shapeNode.size()];
                long count = 1;
                for (int i = 0; i < shape.length; i++) {
                    if (!shapeNode.get(i).canConvertToLong() || shapeNode.get(i).asLong() < 0) {
                        throw bad(file, "tensor " + name + " has a malformed shape " + shapeNode);
                    }
                    shape[i] = shapeNode.get(i).asLong();
                    count = Math.multiplyExact(count, shape[i]);
                }
                long begin = offs.get(0).asLong(), end = offs.get(1).asLong();
                if (begin < 0 || end < begin || end > dataSize) {
                    throw bad(file, "tensor " + name + " has data_offsets [" + begin + ", " + end + "] outside the "
                            + dataSize + " bytes of data");
                }
                if (end - begin != count * dtype.bytes) {
                    throw bad(file, "tensor " + name + " of shape " + shapeNode + " and dtype " + dtype + " needs "
                            + count * dtype.bytes + " bytes, its offsets give " + (end - begin));
                }
                entries.add(new Entry(name, dtype, shape, begin, end));
            }
            List<Entry> byOffset = new ArrayList<>(entries);
            byOffset.sort((a, b) -> Long.compare(a.begin(), b.begin()));
            long expected = 0;
            for (Entry e : byOffset) {
                if (e.begin() != expected) {
                    throw bad(file, "tensor " + e.name() + " starts at byte " + e.begin() + " of the data, expected "
                            + expected + (e.begin() < expected ? " (it overlaps the tensor before)" : " (a gap)"));
                }
                expected = e.end();
            }
            if (expected != dataSize) {
                throw bad(file, "the tensors cover " + expected + " bytes of data, but the file holds " + dataSize);
            }
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Map<String, DType> dtypes = new LinkedHashMap<>();
            for (Entry e : entries) {
                ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(e.end() - e.begin())).order(ByteOrder.LITTLE_ENDIAN);
                readFully(in, buf, dataStart + e.begin());
                buf.flip();
                double[] values = new double[Math.toIntExact((e.end() - e.begin()) / e.dtype().bytes)];
                for (int i = 0; i < values.length; i++) {
                    values[i] = e.dtype() == DType.F32 ? buf.getFloat() : buf.getDouble();
                }
                tensors.put(e.name(), new Tensor(e.shape(), values));
                dtypes.put(e.name(), e.dtype());
            }
            return new Contents(tensors, dtypes, metadata);
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
    // end::read[]

    private static void readFully(FileChannel in, ByteBuffer buf, long position) throws IOException {
        while (buf.hasRemaining()) {
            if (in.read(buf, position + buf.position()) < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    private static CheckpointException bad(Path file, String what) {
        return new CheckpointException("safetensors file " + file + " " + what);
    }
}
