package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.PreparedSql;
import dev.tandem.protocol.sql.TableName;
import java.util.Set;

/**
 * A parsed statement; {@code table} is its mirrored table as resolved at Parse, among the session's
 * {@code temporary} tables then; {@code now} its table as its executions resolve it (null for a qualified name or
 * a statement the mirror does not replay); {@code text} numbers its text among the session's
 * ({@link SessionEncoding#nextText}). {@code declared}: the SQL-level {@code PREPARE} that made it (its {@code sql}
 * is then the PREPARE's body with the declared types cast to), null for a Parse: both kinds share one namespace on
 * the server, so a Bind may name a PREPAREd statement and an EXECUTE a parsed one. {@code parseTime}: the settings
 * the source read its text under.
 */
record Prepared(String sql, ClassifiedStatement statement, TableName table, int[] parameterTypes,
                Set<String> temporary, PreparedTable now, long text, boolean named, PreparedSql declared,
                ParseTimeSettings parseTime) {
    boolean mirrored() {
        return table != null;
    }
}
