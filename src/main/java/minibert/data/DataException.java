package minibert.data;

/** A data file that cannot be used: missing, corrupt, or not what the manifest says. The message says why and how to fix it. */
public final class DataException extends RuntimeException {

    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
