package dev.tandem.backfill.connect;

import java.sql.SQLException;

/**
 * A database error with the side whose server raised it, so that the operator knows which server to look at. Keeps
 * the server's message, SQLSTATE and error code; the original exception is the cause.
 */
public final class ServerError extends SQLException {

    private final Side side;

    private ServerError(Side side, SQLException cause) {
        super(cause.getMessage(), cause.getSQLState(), cause.getErrorCode(), cause);
        this.side = side;
    }

    /**
     * {@code e} labelled with {@code side}. One labelled already keeps its label: the call closest to the statement
     * knew best which server ran it.
     */
    static ServerError of(Side side, SQLException e) {
        return e instanceof ServerError labelled ? labelled : new ServerError(side, e);
    }

    public Side side() {
        return side;
    }

    /**
     * Who failed, as the operator reads it before the server's message: {@code the target refused}, or {@code lost the
     * connection to the source} when the session broke (SQLSTATE class 08) or the server ended it (57P01 to 57P03):
     * then the server may well be fine and the network, or an administrator, the cause.
     */
    public String origin() {
        String state = getSQLState();
        boolean lost = state != null && (state.startsWith("08") || state.matches("57P0[1-3]"));
        return lost ? "lost the connection to the " + side : "the " + side + " refused";
    }
}
