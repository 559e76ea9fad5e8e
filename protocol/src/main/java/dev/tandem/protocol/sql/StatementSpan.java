package dev.tandem.protocol.sql;

/** The {@code [start, end)} character range of one statement in the string it came from. */
public record StatementSpan(int start, int end) {

    public String text(String sql) {
        return sql.substring(start, end);
    }
}
