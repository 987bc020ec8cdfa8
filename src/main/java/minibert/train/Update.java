package minibert.train;

/**
 * The settings of one optimiser step.
 *
 * @param learningRate the step's learning rate, from the schedule
 * @param maxGradNorm  the global gradient norm to clip to (0: no clipping)
 */
public record Update(double learningRate, double maxGradNorm) {
}
