/**
 * The measurement programs: matrix-product speed on the products of one training step ({@link
 * minibert.bench.GemmBenchmark}), the micro-kernel's tiles ({@link minibert.bench.TileExperiment}), how the
 * threads share a product ({@link minibert.bench.SplitExperiment}), memory bandwidth ({@link
 * minibert.bench.MemoryBandwidth}) and WordPiece encoding speed ({@link minibert.bench.EncodingBenchmark}).
 *
 * <p>They measure the packages below them and are kept apart from them, as tests are: {@code tensor} knows nothing
 * of BERT, so the sizes measured come from here, derived from the model and training configurations
 * ({@link minibert.bench.ModelProducts}). Figures are {@link minibert.bench.Sample}s of repeated runs, taken in
 * rounds in which the variants take turns, and two variants are compared round by round
 * ({@link minibert.bench.Comparison}); {@code book} and {@code cli} call them, the kernels never do.
 */
package minibert.bench;
