package dev.tandem.backfill.connect;

/** What went wrong, for a person, from an exception that may carry no message. */
public final class ExceptionText {

    private ExceptionText() {
    }

    /**
     * The exception's message; for one without (a driver's NoSuchElementException, a NullPointerException), its class
     * and its cause's text, so the operator learns at least what kind of failure it was where "null" said nothing.
     */
    public static String of(Throwable e) {
        if (e.getMessage() != null) {
            return e.getMessage();
        }
        Throwable cause = e.getCause();
        return "an unexpected " + e.getClass().getName() + " without a message"
                + (cause != null && cause != e ? ", caused by " + of(cause) : "");
    }
}
