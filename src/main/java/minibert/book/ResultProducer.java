package minibert.book;

/**
 * Code that runs during the build and publishes results for the book.
 *
 * <p>Producers are found with {@link java.util.ServiceLoader}: list the class in
 * {@code src/main/resources/META-INF/services/minibert.book.ResultProducer}. Each producer calls
 * ordinary project code (a gradient check, a tokenizer statistic, a short training run) and
 * publishes what it measured through {@link Results}; it never formats a number it did not compute.
 */
public interface ResultProducer {

    /** A short name for logs, e.g. {@code "tokenization"}. */
    String name();

    /**
     * Runs the measurements and publishes them.
     *
     * @param results where to publish; its {@link Results#mode()} says whether this is the quick
     *                (routine) build or the full one
     */
    void produce(Results results) throws Exception;
}
