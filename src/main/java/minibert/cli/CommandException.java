package minibert.cli;

/** A command that cannot do what was asked, for a reason the user can fix; the message says which. */
final class CommandException extends RuntimeException {
    CommandException(String message) {
        super(message);
    }
}
