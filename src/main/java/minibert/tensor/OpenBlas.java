package minibert.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * OpenBLAS, the native library that {@code org.bytedeco:openblas} ships in its platform jar, opened once per JVM:
 * JavaCPP's loader unpacks and loads it ({@code openblas_nolapack}: the BLAS without LAPACK), and the JDK's
 * foreign-function API ({@code java.lang.foreign}) calls its C functions. Precision-neutral: both
 * {@link OpenBlasBackend} and its float32 twin look their GEMM up here.
 *
 * <p>Why not JavaCPP's own {@code cblas_dgemm(…, double[] …)}: JNI hands a Java array to C by copying it
 * ({@code GetDoubleArrayElements}) and back, so every product would copy A, B and C twice. A downcall made with
 * {@link Linker.Option#critical(boolean) critical(true)} passes the heap arrays themselves, as a pointer, with no
 * copy: the garbage collector does not move them for the call's duration, which is why such a call must be short
 * and must not call back into Java (a GEMM is both).
 *
 * <p>OpenBLAS splits a product across its own threads ({@link #threads(int)}, one count for the whole process).
 * Its results are deterministic for one thread count on one CPU kernel, but are not promised to be the same bits
 * for another thread count or another CPU: that is why it is not the default backend (see {@link Products}).
 */
public final class OpenBlas {

    /** CBLAS's enumerations: {@code CblasRowMajor}, {@code CblasNoTrans}, {@code CblasTrans}. */
    public static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;

    private OpenBlas() {
    }

    /** Loaded on first use: the library's symbols and its thread and version functions, or why it could not load. */
    private static final class Library {
        static final SymbolLookup LOOKUP;
        static final MethodHandle SET_THREADS, GET_THREADS, CONFIG, CORE;
        static final RuntimeException FAILURE;

        static {
            SymbolLookup lookup = null;
            MethodHandle set = null, get = null, config = null, core = null;
            RuntimeException failure = null;
            try {
                String jni = org.bytedeco.javacpp.Loader.load(org.bytedeco.openblas.global.openblas_nolapack.class);
                lookup = open(jni);
                Linker linker = Linker.nativeLinker();
                set = linker.downcallHandle(find(lookup, "openblas_set_num_threads"), FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
                get = linker.downcallHandle(find(lookup, "openblas_get_num_threads"), FunctionDescriptor.of(ValueLayout.JAVA_INT));
                config = linker.downcallHandle(find(lookup, "openblas_get_config"), FunctionDescriptor.of(ValueLayout.ADDRESS));
                core = linker.downcallHandle(find(lookup, "openblas_get_corename"), FunctionDescriptor.of(ValueLayout.ADDRESS));
            } catch (RuntimeException | LinkageError e) {
                failure = new IllegalStateException("OpenBLAS (org.bytedeco:openblas) could not be loaded: " + e, e);
            }
            LOOKUP = lookup;
            SET_THREADS = set;
            GET_THREADS = get;
            CONFIG = config;
            CORE = core;
            FAILURE = failure;
            if (failure == null) {
                threads(Pool.threads());                 // the same count as the pool's, whatever the environment says
            }
        }

        /**
         * The symbols of libopenblas: the library JavaCPP loaded beside its JNI library (opening it again by its
         * path returns the same handle), or, failing that, whatever this class loader has loaded.
         */
        private static SymbolLookup open(String jniLibrary) {
            if (jniLibrary != null) {
                Path dir = Path.of(jniLibrary).getParent();
                for (String name : new String[] {"libopenblas.so.0", "libopenblas.0.dylib", "libopenblas.dll"}) {
                    Path p = dir.resolve(name);
                    if (Files.isRegularFile(p)) {
                        return SymbolLookup.libraryLookup(p, Arena.global());
                    }
                }
            }
            return SymbolLookup.loaderLookup();
        }
    }

    /** Whether the library loaded. */
    public static boolean available() {
        return Library.FAILURE == null;
    }

    /** Throws the reason the library could not be loaded, if it could not. */
    public static void require() {
        if (Library.FAILURE != null) {
            throw Library.FAILURE;
        }
    }

    private static MemorySegment find(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new IllegalStateException("OpenBLAS has no symbol " + name));
    }

    /**
     * A handle on the C function {@code name}, whose pointer arguments may be heap arrays
     * ({@link MemorySegment#ofArray}): a critical downcall, see the class comment.
     */
    public static MethodHandle heapDowncall(String name, FunctionDescriptor descriptor) {
        require();
        return Linker.nativeLinker().downcallHandle(find(Library.LOOKUP, name), descriptor, Linker.Option.critical(true));
    }

    /** Sets the number of threads OpenBLAS splits a product across, for the whole process. */
    public static void threads(int n) {
        require();
        try {
            Library.SET_THREADS.invokeExact(n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * How long OpenBLAS's worker threads keep spinning after a multi-threaded call before they sleep: its default
     * thread timeout is 2²⁸ cycles, 0.134 s at 2 GHz and less on any faster clock. A measurement that takes turns
     * between OpenBLAS and other multi-threaded work waits this long after each OpenBLAS turn ({@link #settle}),
     * untimed: the spinning threads would otherwise hold cores that the next variant's threads need, and slow it
     * (measured here: the Vector API kernel's products ran at 0.6–0.7 of their speed while they spun).
     */
    public static final long SPIN_NANOS = 150_000_000L;

    /** Waits {@link #SPIN_NANOS} for OpenBLAS's worker threads to stop spinning (untimed, between measurements). */
    public static void settle() {
        try {
            Thread.sleep(SPIN_NANOS / 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The number of threads OpenBLAS splits a product across. */
    public static int threads() {
        require();
        try {
            return (int) Library.GET_THREADS.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The library's build, as it describes itself: version, architecture options, the CPU kernel it chose. */
    public static String config() {
        return string(Library.CONFIG);
    }

    /** The CPU kernel OpenBLAS chose for this machine (e.g. Haswell, Zen). */
    public static String coreName() {
        return string(Library.CORE);
    }

    private static String string(MethodHandle h) {
        require();
        try {
            MemorySegment p = (MemorySegment) h.invokeExact();
            return p.reinterpret(1 << 12).getString(0).strip();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
