package dev.tandem.proxy.mirror;

import dev.tandem.proxy.capture.CapturedStatement;
import dev.tandem.proxy.capture.CapturedTransaction;
import java.util.ArrayList;
import java.util.List;

/**
 * Maps the OIDs of user-defined types in replayed parameters from the source's to the target's, by the type's
 * qualified name: the same type usually has another OID on a server where it was created in another order. The
 * source's names come from its catalog through the proxy's own source credentials ({@code source.user}); without
 * them the capture already replaced text-format OIDs by 0 and ledgers binary ones, and this class passes
 * transactions through. A type the target does not have makes the statement {@link CapturedStatement.Unreplayable},
 * so its transaction is ledgered whole. Used on the applier thread only.
 */
final class TypeRemapper {

    private final SourceCatalog source;

    /** @param source the source's catalog; without {@code source.user} nothing is remapped */
    TypeRemapper(SourceCatalog source) {
        this.source = source;
    }

    /** {@code tx} with its statements' user-defined type OIDs as the target knows them (the same object if none). */
    CapturedTransaction remap(CapturedTransaction tx, TargetSession target) {
        if (!source.available() || !hasUserTypes(tx)) {
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
            String name = source.typeName(database, types[i]);
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
                e.parameters(), e.searchPath(), e.clientEncoding(), e.settings());
    }

    private static CapturedStatement unreplayable(CapturedStatement.Extended e, String reason) {
        return new CapturedStatement.Unreplayable(e.table(), e.sourceRows(), e.sql(), reason, e.searchPath());
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
}
