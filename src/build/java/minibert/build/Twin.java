package minibert.build;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Derives the float32 twin of the model's precision-specific sources from the double ones, as EJML's
 * "autocode" derives its {@code _FDRM} classes from its {@code _DDRM} ones: there is one hand-written
 * model, and the float one is the same text under the rules below. The build runs it before compiling
 * ({@code java src/build/java/minibert/build/Twin.java <source root> <output root>}, the single-file
 * launcher: nothing to compile first) and compiles what it writes; the twins are never committed.
 *
 * <p>A source is split into code, comments and string literals. Code gets every rule; comments get the
 * renames (so that {@code {@link Products}} still points at the right class); string literals get only
 * the precision words, so that a parameter name such as {@code "bert.embeddings.LayerNorm"} stays what
 * checkpoints expect. After the rules, a code identifier that still names double precision
 * ({@link #LEFTOVER}), a {@code Math} method with no rule, or a call to cast on a receiver the rule
 * cannot see stops the generator with the file and line: a twin that compiles but computes in double
 * where it should not is worse than no twin.
 */
public final class Twin {

    // ---------------------------------------------------------------- the rules, all in one place

    // tag::rules[]
    /** The double sources that have a twin: files, or a directory (every {@code .java} file in it). */
    static final List<String> SOURCES = List.of(
            "minibert/tensor/Erf.java",
            "minibert/tensor/Gemm.java",
            "minibert/tensor/Kernels.java",
            "minibert/tensor/Products.java",
            "minibert/tensor/VectorBackend.java",
            "minibert/tensor/OpenBlasBackend.java",
            "minibert/nn/",
            "minibert/model/BertForMaskedLM.java",
            "minibert/model/BertForSequenceClassification.java",
            "minibert/train/AdamW.java",
            "minibert/train/BertLearner.java");

    /**
     * Files of a listed directory that hold no precision-specific code and are not twinned: both models use
     * the one class ({@code minibert.nn.Pass}, how a forward pass runs; {@code minibert.nn.StepProfile}, where a step's
     * time goes), which the twins import.
     */
    static final Set<String> NEUTRAL = Set.of("minibert/nn/Pass.java", "minibert/nn/StepProfile.java");

    /**
     * Where a twin goes. A class of these packages keeps its name in a sub-package ({@code minibert.nn.Linear}
     * → {@code minibert.nn.f32.Linear}), so the float model reads exactly as the double one; a class of
     * any other package (the {@code tensor} floor) stays in its package and takes EJML's suffix F
     * ({@code Kernels} → {@code KernelsF}, {@code Gemm} → {@code GemmF}), as EJML names its float classes.
     */
    static final Map<String, String> MOVED_PACKAGES = Map.of(
            "minibert.nn", "minibert.nn.f32",
            "minibert.model", "minibert.model.f32",
            "minibert.train", "minibert.train.f32");

    /** Identifiers renamed in code and comments (whole words), besides each suffixed twin's own name. */
    static final Map<String, String> RENAMES = ordered(
            "double", "float",
            "Double", "Float",                       // Double.NEGATIVE_INFINITY, VectorSpecies<Double>
            "DoubleVector", "FloatVector",
            "DMatrixRMaj", "FMatrixRMaj",
            "CommonOps_DDRM", "CommonOps_FDRM",
            "Gemm", "GemmF",                         // the float GEMM, Gemm's own twin
            "VectorErf", "VectorErfF",               // the vector erf: float's is written by hand, not twinned
            // the exponential's bit arithmetic: 2^k is built in the exponent field of a float's own width
            "LongVector", "IntVector",
            "reinterpretAsLongs", "reinterpretAsInts",
            "reinterpretAsDoubles", "reinterpretAsFloats",
            "LN2_HI", "LN2_HI_F",                    // ln 2 split per precision (ExpConstants)
            "LN2_LO", "LN2_LO_F",
            "TAYLOR_ORDER", "TAYLOR_ORDER_F",      // the exponential's Taylor order, per precision (ExpConstants)
            // OpenBLAS through java.lang.foreign: the float layout (the GEMM's name follows from Double.BYTES)
            "JAVA_DOUBLE", "JAVA_FLOAT",
            "OfDouble", "OfFloat");

    /** The only words changed in string literals (and in comments, with the renames). */
    static final Map<String, String> TEXT_WORDS = ordered(
            "double", "float",
            "doubles", "floats",
            "Double", "Float");

    /** {@code Math} methods that return double whatever their argument: the twin casts the call, {@code (float) Math.exp(x)}. */
    static final Set<String> MATH_CAST = Set.of("sqrt", "exp", "log", "tanh", "pow", "ceil", "floor");

    /** {@code Math} methods with a float overload: unchanged. Any other {@code Math} member stops the generator. */
    static final Set<String> MATH_OVERLOADED = Set.of("abs", "max", "min", "copySign", "signum", "fma", "ulp", "round", "scalb");

    /**
     * Methods of precision-neutral code that return double (a configuration's ε, {@link java.util.Random}):
     * cast like {@link #MATH_CAST}. The receiver must be a plain name or a chain of names.
     */
    static final Set<String> CALLS_CAST = Set.of("nextGaussian", "layerNormEps", "initializerRange",
            "hiddenDropout", "attentionDropout", "learningRate", "weightDecay", "beta1", "beta2", "epsilon",
            "maxGradNorm", "lossScale");

    /*
     * Literals: a floating-point literal without a suffix, or with d/D, takes the suffix f (0.5 → 0.5f,
     * 1e-12 → 1e-12f). Integer literals are unchanged; they mix with float as they do with double.
     */

    /**
     * A code identifier of a twin that matches this names double precision and no rule covered it: the
     * word double in any case ({@code DoubleSupplier}, {@code getAsDouble}), an EJML double type
     * ({@code DGrowArray}, {@code NormOps_DDRM}) or a 64-bit suffix ({@code _F64}).
     */
    static final Pattern LEFTOVER = Pattern.compile("(?i:.*double.*)|D[A-Z][a-z]\\w*|\\w*_D[A-Z]{3}\\w*|\\w*[DF]64\\w*");
    // end::rules[]

    // ---------------------------------------------------------------- the build entry point

    /** Thrown when a source holds something the rules cannot twin. */
    public static final class TwinException extends RuntimeException {
        TwinException(String message) {
            super(message);
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: java Twin.java <source root> <output root>");
            System.exit(2);
        }
        Path sourceRoot = Path.of(args[0]), outRoot = Path.of(args[1]);
        try {
            int[] counts = generate(sourceRoot, outRoot);
            System.out.println("twin: " + counts[0] + " float32 sources in " + outRoot + " (" + counts[1] + " rewritten)");
        } catch (TwinException e) {
            System.err.println("twin: " + e.getMessage());
            System.exit(1);
        }
    }

    /**
     * Writes the twin of every source of {@link #SOURCES} under {@code outRoot}, rewriting a file only when its
     * text changes (so the compiler's staleness check stays quiet) and deleting twins whose source is gone.
     *
     * @return {twins, files rewritten}
     */
    static int[] generate(Path sourceRoot, Path outRoot) throws IOException {
        List<String> files = new ArrayList<>();
        for (String s : SOURCES) {
            Path p = sourceRoot.resolve(s);
            if (s.endsWith("/")) {
                try (Stream<Path> list = Files.list(p)) {
                    list.filter(f -> f.toString().endsWith(".java")).sorted()
                            .map(f -> sourceRoot.relativize(f).toString().replace('\\', '/'))
                            .filter(f -> !NEUTRAL.contains(f))
                            .forEach(files::add);
                }
            } else if (Files.isRegularFile(p)) {
                files.add(s);
            } else {
                throw new TwinException(s + ": listed in SOURCES but not found under " + sourceRoot);
            }
        }
        Twin twin = new Twin(files, sourceRoot);
        Set<Path> written = new TreeSet<>();
        int rewritten = 0;
        for (String file : files) {
            String text = Files.readString(sourceRoot.resolve(file), StandardCharsets.UTF_8);
            Path out = outRoot.resolve(twin.targetPath(file));
            String twinText = twin.translate(file, text);
            written.add(out.toAbsolutePath().normalize());
            if (!Files.isRegularFile(out) || !Files.readString(out, StandardCharsets.UTF_8).equals(twinText)) {
                Files.createDirectories(out.getParent());
                Files.writeString(out, twinText, StandardCharsets.UTF_8);
                rewritten++;
            }
        }
        if (Files.isDirectory(outRoot)) {
            try (Stream<Path> all = Files.walk(outRoot)) {
                for (Path stale : all.filter(f -> f.toString().endsWith(".java"))
                        .filter(f -> !written.contains(f.toAbsolutePath().normalize())).toList()) {
                    Files.delete(stale);
                }
            }
        }
        return new int[] {files.size(), rewritten};
    }

    // ---------------------------------------------------------------- translation

    /** Original simple name → twin simple name, for the suffixed twins; and every twinned class, by package. */
    private final Map<String, String> renames = new LinkedHashMap<>(RENAMES);
    private final Map<String, Set<String>> twinnedByPackage = new LinkedHashMap<>();
    private final Map<String, Set<String>> classesByPackage = new LinkedHashMap<>();

    /**
     * @param files      the sources to twin, as paths relative to the source root ({@code minibert/nn/Linear.java})
     * @param sourceRoot where to list the other classes of a moved package (they are imported), or null
     */
    Twin(List<String> files, Path sourceRoot) {
        for (String file : files) {
            String pkg = packageOf(file), name = simpleName(file);
            twinnedByPackage.computeIfAbsent(pkg, k -> new TreeSet<>()).add(name);
            if (!MOVED_PACKAGES.containsKey(pkg)) {
                renames.put(name, name + "F");
            }
            if (sourceRoot != null && !classesByPackage.containsKey(pkg)) {
                Set<String> names = new TreeSet<>();
                try (Stream<Path> list = Files.list(sourceRoot.resolve(file).getParent())) {
                    list.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".java"))
                            .forEach(n -> names.add(n.substring(0, n.length() - 5)));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                classesByPackage.put(pkg, names);
            }
        }
    }

    /** The twin's path relative to the output root. */
    String targetPath(String file) {
        String pkg = packageOf(file), name = simpleName(file);
        String targetPkg = MOVED_PACKAGES.getOrDefault(pkg, pkg);
        String targetName = MOVED_PACKAGES.containsKey(pkg) ? name : renames.get(name);
        return targetPkg.replace('.', '/') + "/" + targetName + ".java";
    }

    /** The float32 twin of {@code text}, the source {@code file}; throws {@link TwinException} where no rule applies. */
    String translate(String file, String text) {
        StringBuilder out = new StringBuilder();
        for (Segment s : Segment.split(text)) {
            out.append(switch (s.kind) {
                case CODE -> code(file, s);
                case COMMENT -> names(s.text, true);
                case STRING -> words(s.text, TEXT_WORDS);
            });
        }
        String result = importSamePackage(file, out.toString());
        checkLeftovers(file, result);
        return "// Generated by minibert.build.Twin from " + file + ": the float32 twin. Do not edit; edit the double source.\n"
                + result;
    }

    private static final Pattern DOTTED = Pattern.compile("(?<![\\w$])[A-Za-z_$][\\w$]*(?:\\.[A-Za-z_$][\\w$]*)*");
    private static final Pattern WORD = Pattern.compile("(?<![\\w$])[A-Za-z_$][\\w$]*(?![\\w$])");
    private static final Pattern MATH = Pattern.compile("(?<![\\w$.])Math\\s*\\.\\s*([A-Za-z_$][\\w$]*)");
    private static final Pattern CHAIN_CALL = Pattern.compile(
            "(?<![\\w$.)\\]])((?:[A-Za-z_$][\\w$]*\\s*\\.\\s*)+)(" + String.join("|", CALLS_CAST) + ")\\s*\\(");
    private static final Pattern ANY_CALL = Pattern.compile("\\.\\s*(" + String.join("|", CALLS_CAST) + ")\\s*\\(");

    private String code(String file, Segment s) {
        String text = literals(names(s.text, false));
        // Math: cast what returns double, keep what has a float overload, stop on anything else
        Matcher m = MATH.matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String method = m.group(1);
            if (MATH_CAST.contains(method)) {
                m.appendReplacement(sb, Matcher.quoteReplacement("(float) " + m.group()));
            } else if (!MATH_OVERLOADED.contains(method)) {
                throw new TwinException(where(file, s, m.start()) + ": no rule for Math." + method
                        + " (add it to MATH_CAST or MATH_OVERLOADED)");
            }
        }
        text = m.appendTail(sb).toString();
        // precision-neutral calls that return double: cast, and make sure none was missed
        int calls = 0;
        for (Matcher a = ANY_CALL.matcher(text); a.find(); ) {
            calls++;
        }
        Matcher c = CHAIN_CALL.matcher(text);
        sb = new StringBuilder();
        int cast = 0;
        while (c.find()) {
            c.appendReplacement(sb, Matcher.quoteReplacement("(float) " + c.group()));
            cast++;
        }
        text = c.appendTail(sb).toString();
        if (cast != calls) {
            Matcher a = ANY_CALL.matcher(s.text);
            throw new TwinException(where(file, s, a.find() ? a.start() : 0) + ": a call of " + CALLS_CAST
                    + " on a receiver that is not a plain name; assign the receiver to a variable first");
        }
        return text;
    }

    /** Applies {@link #renames} (and, in comments, {@link #TEXT_WORDS}) to names and dotted names. */
    private String names(String text, boolean comment) {
        Matcher m = DOTTED.matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(qualified(m.group(), comment)));
        }
        return m.appendTail(sb).toString();
    }

    /** {@code minibert.nn.Linear} → {@code minibert.nn.f32.Linear}; {@code minibert.model.Batch} stays; each part renamed. */
    private String qualified(String dotted, boolean comment) {
        String[] parts = dotted.split("\\.");
        StringBuilder out = new StringBuilder();
        int from = 0;
        for (int k = parts.length; k >= 2; k--) {
            String pkg = String.join(".", java.util.Arrays.copyOfRange(parts, 0, k));
            if (MOVED_PACKAGES.containsKey(pkg)
                    && (k == parts.length || twinnedByPackage.getOrDefault(pkg, Set.of()).contains(parts[k]))) {
                out.append(MOVED_PACKAGES.get(pkg));
                from = k;
                break;
            }
        }
        for (int i = from; i < parts.length; i++) {
            if (!out.isEmpty()) {
                out.append('.');
            }
            String p = parts[i];
            out.append(renames.getOrDefault(p, comment ? TEXT_WORDS.getOrDefault(p, p) : p));
        }
        return out.toString();
    }

    private static String words(String text, Map<String, String> words) {
        Matcher m = WORD.matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(words.getOrDefault(m.group(), m.group())));
        }
        return m.appendTail(sb).toString();
    }

    /** Gives every floating-point literal the suffix f: {@code 0.5}, {@code 1e-12}, {@code 2d} → {@code 0.5f}, … */
    static String literals(String code) {
        StringBuilder out = new StringBuilder();
        int i = 0, n = code.length();
        while (i < n) {
            char ch = code.charAt(i);
            boolean afterName = i > 0 && (Character.isJavaIdentifierPart(code.charAt(i - 1)) || code.charAt(i - 1) == '.');
            boolean starts = !afterName && (Character.isDigit(ch)
                    || (ch == '.' && i + 1 < n && Character.isDigit(code.charAt(i + 1))));
            if (!starts) {
                out.append(ch);
                i++;
                continue;
            }
            int j = i;
            boolean hex = code.startsWith("0x", i) || code.startsWith("0X", i);
            while (j < n) {
                char d = code.charAt(j);
                if (Character.isLetterOrDigit(d) || d == '_' || d == '.') {
                    j++;
                } else if ((d == '+' || d == '-') && !hex && (code.charAt(j - 1) == 'e' || code.charAt(j - 1) == 'E')) {
                    j++;
                } else {
                    break;
                }
            }
            out.append(floatLiteral(code.substring(i, j), hex));
            i = j;
        }
        return out.toString();
    }

    private static String floatLiteral(String literal, boolean hex) {
        char last = literal.charAt(literal.length() - 1);
        if (hex) {
            if (literal.contains("p") || literal.contains("P")) {
                throw new TwinException("no rule for the hexadecimal floating-point literal " + literal);
            }
            return literal;
        }
        if (last == 'd' || last == 'D') {
            return literal.substring(0, literal.length() - 1) + "f";
        }
        if (last == 'f' || last == 'F' || last == 'l' || last == 'L') {
            return literal;
        }
        boolean floating = literal.contains(".") || literal.contains("e") || literal.contains("E");
        return floating ? literal + "f" : literal;
    }

    /** A class moved to another package still needs the precision-neutral classes of its old one ({@code Batch}). */
    private String importSamePackage(String file, String text) {
        String pkg = packageOf(file);
        if (!MOVED_PACKAGES.containsKey(pkg)) {
            return text;
        }
        Set<String> used = new TreeSet<>();
        String code = codeOnly(text);
        for (String name : classesByPackage.getOrDefault(pkg, Set.of())) {
            if (!twinnedByPackage.get(pkg).contains(name) && Pattern.compile("(?<![\\w$.])" + name + "(?![\\w$])").matcher(code).find()) {
                used.add("import " + pkg + "." + name + ";\n");
            }
        }
        if (used.isEmpty()) {
            return text;
        }
        Matcher decl = Pattern.compile("(?m)^package [\\w.]+;\\n").matcher(text);
        if (!decl.find()) {
            throw new TwinException(file + ": no package declaration");
        }
        return text.substring(0, decl.end()) + "\n" + String.join("", used) + text.substring(decl.end());
    }

    private static void checkLeftovers(String file, String twin) {
        String code = codeOnly(twin);
        Matcher m = WORD.matcher(code);
        while (m.find()) {
            if (LEFTOVER.matcher(m.group()).matches()) {
                int line = 1 + (int) code.substring(0, m.start()).chars().filter(c -> c == '\n').count();
                throw new TwinException(file + ":" + line + ": '" + m.group()
                        + "' names double precision and no rule twins it (add one to RENAMES)");
            }
        }
    }

    /** The text with comments and strings blanked (newlines kept, so line numbers still count). */
    private static String codeOnly(String text) {
        StringBuilder sb = new StringBuilder();
        for (Segment s : Segment.split(text)) {
            sb.append(s.kind == Kind.CODE ? s.text : s.text.replaceAll("[^\\n]", " "));
        }
        return sb.toString();
    }

    private static String where(String file, Segment s, int offsetInSegment) {
        return file + ":" + s.lineAt(offsetInSegment);
    }

    private static String packageOf(String file) {
        int slash = file.lastIndexOf('/');
        return file.substring(0, slash).replace('/', '.');
    }

    private static String simpleName(String file) {
        return file.substring(file.lastIndexOf('/') + 1, file.length() - ".java".length());
    }

    private static Map<String, String> ordered(String... pairs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return m;
    }

    // ---------------------------------------------------------------- code, comments and strings

    enum Kind { CODE, COMMENT, STRING }

    /** A run of source text of one kind; {@code line} is the line it starts on. */
    record Segment(Kind kind, String text, int line) {

        int lineAt(int offset) {
            return line + (int) text.substring(0, Math.min(offset, text.length())).chars().filter(c -> c == '\n').count();
        }

        /** Splits Java source into code, comments ({@code //}, {@code /* *}{@code /}) and literals (strings, text blocks, chars). */
        static List<Segment> split(String src) {
            List<Segment> out = new ArrayList<>();
            int i = 0, start = 0, n = src.length();
            while (i < n) {
                int end;
                if (src.startsWith("//", i)) {
                    end = src.indexOf('\n', i);
                    end = end < 0 ? n : end;
                } else if (src.startsWith("/*", i)) {
                    end = src.indexOf("*/", i + 2);
                    end = end < 0 ? n : end + 2;
                } else if (src.startsWith("\"\"\"", i)) {
                    end = src.indexOf("\"\"\"", i + 3);
                    end = end < 0 ? n : end + 3;
                } else if (src.charAt(i) == '"' || src.charAt(i) == '\'') {
                    char q = src.charAt(i);
                    end = i + 1;
                    while (end < n && src.charAt(end) != q) {
                        end += src.charAt(end) == '\\' ? 2 : 1;
                    }
                    end = Math.min(end + 1, n);
                } else {
                    i++;
                    continue;
                }
                Kind kind = src.charAt(i) == '/' ? Kind.COMMENT : Kind.STRING;
                add(out, src, start, i, Kind.CODE);
                add(out, src, i, end, kind);
                i = start = end;
            }
            add(out, src, start, n, Kind.CODE);
            return out;
        }

        private static void add(List<Segment> out, String src, int from, int to, Kind kind) {
            if (to > from) {
                int line = 1 + (int) src.substring(0, from).chars().filter(c -> c == '\n').count();
                out.add(new Segment(kind, src.substring(from, to), line));
            }
        }
    }
}
