package minibert.train;

/**
 * Where long-running data work says what it is doing (why a cache is rebuilt, how far a build has got).
 * The command line prints it; the book's producers log it; tests collect it.
 */
@FunctionalInterface
public interface Progress {

    /** Says nothing. */
    Progress NONE = message -> { };

    /** One line of news, complete in itself (it names the file it is about). */
    void report(String message);
}
