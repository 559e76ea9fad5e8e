package dev.tandem.proxy.mirror;

import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.proxy.capture.CapturedStatement;
import dev.tandem.proxy.capture.CapturedTransaction;
import dev.tandem.proxy.config.SourceConfig;
import dev.tandem.proxy.jdbc.ServerJdbc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Maps the OIDs of user-defined types in replayed parameters from the source's to the target's, by the type's
 * qualified name: the same type usually has another OID on a server where it was created in another order. The
 * source's names come from its catalog through the proxy's own source credentials ({@code source.user}); without
 * them the capture already replaced text-format OIDs by 0 and ledgers binary ones, and this class passes
 * transactions through. A type the target does not have makes the statement {@link CapturedStatement.Unreplayable},
 * so its transaction is ledgered whole. Used on the applier thread only.
 */
final class TypeRemapper implements AutoCloseable {

    private final SourceConfig source;
    private final Map<String, Connection> sourceConnections = new HashMap<>();
    /** Source database -> OID -> quoted qualified type name. */
    private final Map<String, Map<Integer, String>> sourceNames = new HashMap<>();

    /** @param source the source's configuration; without {@code source.user} nothing is remapped */
    TypeRemapper(SourceConfig source) {
        this.source = source;
    }

    /** {@code tx} with its statements' user-defined type OIDs as the target knows them (the same object if none). */
    CapturedTransaction remap(CapturedTransaction tx, TargetSession target) {
        if (source == null || source.user().isEmpty() || !hasUserTypes(tx)) {
            return tx;
        }
        List<CapturedStatement> statements = new ArrayList<>(tx.statements().size());
        for (CapturedStatement s : tx.statements()) {
            statements.add(s instanceof CapturedStatement.Extended e ? remap(tx.database(), e, target) : s);
        }
        return tx.withStatements(statements);
    }

    private CapturedStatement remap(String database, CapturedStatement.Extended e, TargetSession target) {
        int[] types = e.parameterTypes().clone();
        for (int i = 0; i < types.length; i++) {
            if (!CapturedStatement.userDefinedType(types[i])) {
                continue;
            }
            String name = sourceName(database, types[i]);
            if (name == null) {
                return unreplayable(e, "parameter " + (i + 1) + " has type OID " + types[i]
                        + ", which the source's catalog does not know");
            }
            Integer oid = target.typeOid(name);
            if (oid == null) {
                return unreplayable(e, "parameter " + (i + 1) + " has type " + name
                        + ", which the target database does not have");
            }
            types[i] = oid;
        }
        return new CapturedStatement.Extended(e.table(), e.sourceRows(), e.sql(), types, e.parameterFormats(),
                e.parameters(), e.searchPath(), e.clientEncoding());
    }

    private static CapturedStatement unreplayable(CapturedStatement.Extended e, String reason) {
        return new CapturedStatement.Unreplayable(e.table(), e.sourceRows(), e.sql(), reason, e.searchPath());
    }

    /**
     * The type's quoted qualified name on the source, or null when it has none. A source that cannot be reached
     * throws: the applier retries, as for a target that cannot be reached.
     */
    private String sourceName(String database, int oid) {
        Map<Integer, String> names = sourceNames.computeIfAbsent(database, d -> new HashMap<>());
        String known = names.get(oid);
        if (known != null) {
            return known;
        }
        try {
            Connection c = sourceConnections.get(database);
            if (c == null || !c.isValid(5)) {
                if (c != null) {
                    c.close();
                }
                c = ServerJdbc.source(source, database);
                sourceConnections.put(database, c);
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT n.nspname, t.typname FROM pg_type t"
                    + " JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = ?")) {
                ps.setInt(1, oid);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return null;
                    }
                    String name = Identifiers.quoteQualified(rs.getString(1), rs.getString(2));
                    names.put(oid, name);
                    return name;
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read type OID " + oid + " from the source's catalog of database "
                    + database + " (source.user " + source.user().orElse("") + "): " + e.getMessage(), e);
        }
    }

    private static boolean hasUserTypes(CapturedTransaction tx) {
        for (CapturedStatement s : tx.statements()) {
            if (s instanceof CapturedStatement.Extended e) {
                for (int type : e.parameterTypes()) {
                    if (CapturedStatement.userDefinedType(type)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    @Override
    public void close() {
        for (Connection c : sourceConnections.values()) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing a connection to the source; nothing to do about a failure
            }
        }
        sourceConnections.clear();
    }
}
