package minibert.model.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minibert.io.InputException;
import minibert.io.InputFile;
import minibert.io.Json;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
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

    /**
     * The element types safetensors defines, with their widths. This project reads the floating-point ones
     * ({@link #readable()}: F64, F32, F16, BF16) and writes them; an integer tensor such as transformers'
     * {@code position_ids} buffer can be listed and skipped, not read as weights.
     */
    public enum DType {
        F64(8, true), F32(4, true), F16(2, true), BF16(2, true),
        I64(8, false), I32(4, false), I16(2, false), I8(1, false),
        U64(8, false), U32(4, false), U16(2, false), U8(1, false), BOOL(1, false),
        F8_E4M3(1, false), F8_E5M2(1, false);

        final int bytes;
        private final boolean readable;

        DType(int bytes, boolean readable) {
            this.bytes = bytes;
            this.readable = readable;
        }

        /** Bytes per element. */
        public int bytes() {
            return bytes;
        }

        /** Whether this project reads (and writes) values of this type. */
        public boolean readable() {
            return readable;
        }

        /** The names of the readable types, for messages. */
        public static String readableNames() {
            StringBuilder b = new StringBuilder();
            for (DType d : values()) {
                if (d.readable) {
                    b.append(b.isEmpty() ? "" : ", ").append(d.name());
                }
            }
            return b.toString();
        }
    }

    /** The largest header read (transformers' headers are tens of kilobytes). */
    public static final long MAX_HEADER = 100L << 20;
    /** The most elements of one tensor: it is read into one Java array. */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private Safetensors() {
    }

    /** Writes {@code tensors} in order as {@code dtype}, through a temporary file renamed into place. */
    // tag::write[]
    public static void write(Path file, Map<String, Tensor> tensors, DType dtype, Map<String, String> metadata)
            throws IOException {
        if (!dtype.readable()) {
            throw new IllegalArgumentException("cannot write " + dtype + "; this writer knows " + DType.readableNames());
        }
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
                        put(buf, dtype, v);
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
     * One tensor's entry in the header.
     *
     * @param begin first byte, relative to the start of the data
     * @param end   one past the last byte
     */
    public record Entry(String name, DType dtype, long[] shape, long begin, long end) {
        public String shapeText() {
            return java.util.Arrays.toString(shape);
        }
    }

    /**
     * A validated header: where the data starts, every tensor's entry in file order, and the metadata.
     * Reading it reads no tensor data; {@link #values} reads one tensor.
     */
    public record Header(Path file, long dataStart, Map<String, Entry> entries, Map<String, String> metadata) {
    }

    /**
     * Reads and validates a whole file: the header (see {@link #readHeader}) and every tensor's values; a
     * tensor of a type this project does not read is an error.
     */
    public static Contents read(Path file) {
        Header h = readHeader(file);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, DType> dtypes = new LinkedHashMap<>();
        for (Entry e : h.entries().values()) {
            tensors.put(e.name(), new Tensor(e.shape(), values(h, e)));
            dtypes.put(e.name(), e.dtype());
        }
        return new Contents(tensors, dtypes, h.metadata());
    }

    /**
     * Reads and validates the header: header length, UTF-8, JSON, dtypes, shapes, offsets (in range, no gaps
     * or overlaps, covering the data exactly) and duplicate names are all checked; errors name the file.
     */
    // tag::read[]
    public static Header readHeader(Path file) {
        try {
            InputFile.requireFile(file);
        } catch (InputException e) {
            throw new CheckpointException("safetensors file " + e.getMessage());
        }
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
                        + (size - 8) + " bytes after the length" + (n > MAX_HEADER ? " (and headers are read only up to "
                        + InputFile.size(MAX_HEADER) + ")" : ""));
            }
            ByteBuffer headBuf = ByteBuffer.allocate((int) n);
            readFully(in, headBuf, 8);
            JsonNode header;
            try {
                header = Json.parseObject(file, InputFile.decode(file, headBuf.array(), true));
            } catch (InputException e) {
                throw bad(file, "has a header that " + e.reason());
            }
            long dataStart = 8 + n, dataSize = size - dataStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, Entry> entries = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                var f = it.next();
                if (f.getKey().equals("__metadata__")) {
                    if (!f.getValue().isObject()) {
                        throw bad(file, "has __metadata__ that is " + Json.kind(f.getValue()) + ", not an object");
                    }
                    f.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                Entry e = entry(file, f.getKey(), f.getValue(), dataSize);
                entries.put(e.name(), e);
            }
            List<Entry> byOffset = new ArrayList<>(entries.values());
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
            return new Header(file, dataStart, entries, metadata);
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    // end::read[]

    private static Entry entry(Path file, String name, JsonNode t, long dataSize) {
        if (!t.isObject()) {
            throw bad(file, "tensor " + name + " is described by " + Json.kind(t) + ", not an object");
        }
        DType dtype;
        try {
            dtype = DType.valueOf(t.path("dtype").asText());
        } catch (IllegalArgumentException e) {
            throw bad(file, "tensor " + name + (t.has("dtype") ? " has dtype " + Json.kind(t.path("dtype"))
                    + ", which safetensors does not define" : " has no dtype") + " (this reader knows " + DType.readableNames() + ")");
        }
        JsonNode shapeNode = t.path("shape"), offs = t.path("data_offsets");
        if (!shapeNode.isArray() || !offs.isArray() || offs.size() != 2) {
            throw bad(file, "tensor " + name + " needs a shape array and two data_offsets");
        }
        long[] shape = new long[shapeNode.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
                throw bad(file, "tensor " + name + " has a malformed shape " + shorten(shapeNode.toString()));
            }
            shape[i] = d.asLong();
            try {
                count = Math.multiplyExact(count, shape[i]);
            } catch (ArithmeticException e) {
                throw bad(file, "tensor " + name + " has a shape " + shorten(shapeNode.toString()) + " with more elements than a long counts");
            }
        }
        for (JsonNode o : offs) {
            if (!o.isIntegralNumber() || !o.canConvertToLong() || o.asLong() < 0) {
                throw bad(file, "tensor " + name + " has malformed data_offsets " + shorten(offs.toString()));
            }
        }
        long begin = offs.get(0).asLong(), end = offs.get(1).asLong();
        if (end < begin || end > dataSize) {
            throw bad(file, "tensor " + name + " has data_offsets [" + begin + ", " + end + "] outside the "
                    + dataSize + " bytes of data");
        }
        long needs = count > Long.MAX_VALUE / dtype.bytes ? -1 : count * dtype.bytes;
        if (needs != end - begin) {
            throw bad(file, "tensor " + name + " of shape " + shorten(shapeNode.toString()) + " and dtype " + dtype + " needs "
                    + (needs < 0 ? "more bytes than a long counts" : needs + " bytes") + ", its offsets give " + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /**
     * The values of one tensor of a validated header, widened to double. F16 and BF16 are exact in double, as
     * is F32; other types are refused with the tensor's name.
     */
    public static double[] values(Header h, Entry e) {
        if (!e.dtype().readable()) {
            throw bad(h.file(), "tensor " + e.name() + " has dtype " + e.dtype() + "; this reader accepts "
                    + DType.readableNames());
        }
        long count = (e.end() - e.begin()) / e.dtype().bytes;
        if (count > MAX_ELEMENTS) {
            throw bad(h.file(), "tensor " + e.name() + " has " + count + " elements, more than one array holds ("
                    + MAX_ELEMENTS + ")");
        }
        double[] values = new double[(int) count];
        try (FileChannel in = FileChannel.open(h.file(), StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            long position = h.dataStart() + e.begin();
            int i = 0;
            while (i < values.length) {
                buf.clear();
                buf.limit((int) Math.min(buf.capacity(), (long) (values.length - i) * e.dtype().bytes));
                readFully(in, buf, position);
                position += buf.limit();
                buf.flip();
                while (buf.hasRemaining()) {
                    values[i++] = get(buf, e.dtype());
                }
            }
        } catch (IOException x) {
            throw new CheckpointException("cannot read " + h.file() + ": " + x.getMessage(), x);
        }
        return values;
    }

    private static double get(ByteBuffer buf, DType dtype) {
        return switch (dtype) {
            case F64 -> buf.getDouble();
            case F32 -> buf.getFloat();
            case F16 -> Float.float16ToFloat(buf.getShort());
            case BF16 -> Float.intBitsToFloat((buf.getShort() & 0xFFFF) << 16);
            default -> throw new IllegalArgumentException(dtype + " is not read as numbers");
        };
    }

    private static void put(ByteBuffer buf, DType dtype, double v) {
        switch (dtype) {
            case F64 -> buf.putDouble(v);
            case F32 -> buf.putFloat((float) v);
            case F16 -> buf.putShort(Float.floatToFloat16((float) v));
            case BF16 -> buf.putShort(toBfloat16((float) v));
            default -> throw new IllegalArgumentException(dtype + " is not written as numbers");
        }
    }

    /** BF16 is the upper half of a float32, rounded to nearest, ties to even; a NaN stays a NaN. */
    static short toBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    private static String shorten(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "…" : s;
    }

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
