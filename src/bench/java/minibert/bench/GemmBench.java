package minibert.bench;

import minibert.tensor.Gemm;
import minibert.tensor.GemmF;
import minibert.tensor.Products;
import org.ejml.data.DMatrixRMaj;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * JMH benchmarks of the model's product shapes: EJML against the Vector API kernel (double, one thread
 * and all threads) and its float twin. Run with {@code mvn -Pbench -DskipTests test}; plain builds only
 * compile them. Divide 2·m·n·k by the reported time for GFLOP/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class GemmBench {

    /** m×n×k, transA, transB: the plain, the AᵀB weight-gradient and the ABᵀ shapes. */
    @Param({"2048x192x192:NT", "2048x768x192:NT", "2048x192x768:NT", "307x8192x192:NT", "768x192x2048:TN",
            "192x192x2048:TN", "2048x192x768:NN", "64x64x48:NT"})
    public String shape;

    int m, n, k;
    boolean ta, tb;
    DMatrixRMaj a, b, c;
    float[] af, bf, cf;

    @Setup
    public void setup() {
        String[] parts = shape.split("[x:]");
        m = Integer.parseInt(parts[0]);
        n = Integer.parseInt(parts[1]);
        k = Integer.parseInt(parts[2]);
        ta = parts[3].charAt(0) == 'T';
        tb = parts[3].charAt(1) == 'T';
        Random r = new Random(1);
        a = ta ? new DMatrixRMaj(k, m) : new DMatrixRMaj(m, k);
        b = tb ? new DMatrixRMaj(n, k) : new DMatrixRMaj(k, n);
        c = new DMatrixRMaj(m, n);
        for (DMatrixRMaj x : new DMatrixRMaj[] {a, b}) {
            for (int i = 0; i < x.getNumElements(); i++) {
                x.data[i] = r.nextGaussian();
            }
        }
        af = new float[a.getNumElements()];
        bf = new float[b.getNumElements()];
        cf = new float[m * n];
        for (int i = 0; i < af.length; i++) {
            af[i] = (float) a.data[i];
        }
        for (int i = 0; i < bf.length; i++) {
            bf[i] = (float) b.data[i];
        }
    }

    @Benchmark
    public DMatrixRMaj ejml() {
        Products.EJML.gemm(ta, tb, 1, a, b, 0, c);
        return c;
    }

    @Benchmark
    public DMatrixRMaj kernelOneThread() {
        Gemm.gemm(ta, tb, m, n, k, 1, a.data, a.numCols, b.data, b.numCols, 0, c.data, n);
        return c;
    }

    @Benchmark
    public DMatrixRMaj kernelAllThreads() {
        Gemm.parallel(ta, tb, m, n, k, 1, a.data, a.numCols, b.data, b.numCols, 0, c.data, n);
        return c;
    }

    @Benchmark
    public float[] floatOneThread() {
        GemmF.gemm(ta, tb, m, n, k, 1f, af, a.numCols, bf, b.numCols, 0f, cf, n);
        return cf;
    }
}
