package dev.tandem.backfill.connect;

import java.sql.SQLException;

/**
 * The server a statement runs on. Errors are labelled with it where the side is known ({@link ServerError}): the same
 * SQLSTATE means something else to fix on the source than on the target.
 */
public enum Side {
    SOURCE("source"),
    TARGET("target");

    /** Statements on one side that return a value. */
    @FunctionalInterface
    public interface Work<T> {
        T run() throws SQLException;
    }

    /** Statements on one side. */
    @FunctionalInterface
    public interface Step {
        void run() throws SQLException;
    }

    private final String name;

    Side(String name) {
        this.name = name;
    }

    /** {@code e} as raised by this side; an error labelled already keeps its side. */
    public ServerError label(SQLException e) {
        return ServerError.of(this, e);
    }

    /** Runs {@code work}, labelling its database errors with this side. */
    public <T> T call(Work<T> work) throws ServerError {
        try {
            return work.run();
        } catch (SQLException e) {
            throw label(e);
        }
    }

    /** Runs {@code step}, labelling its database errors with this side. */
    public void run(Step step) throws ServerError {
        try {
            step.run();
        } catch (SQLException e) {
            throw label(e);
        }
    }

    /** "source" or "target", as messages name it. */
    @Override
    public String toString() {
        return name;
    }
}
