package dev.tandem.protocol.sql;

import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** A compact, readable rendering of classifications, so tests compare one string per input. */
final class Describe {

    private Describe() {
    }

    static String all(List<ClassifiedStatement> statements) {
        return statements.stream().map(Describe::one).collect(Collectors.joining(" ; "));
    }

    static String one(ClassifiedStatement s) {
        return one(s, true);
    }

    /** Without COPY's option text, which keeps the original spelling and so varies with comments and case. */
    static String withoutCopyOptions(List<ClassifiedStatement> statements) {
        return statements.stream().map(s -> one(s, false)).collect(Collectors.joining(" ; "));
    }

    private static String one(ClassifiedStatement s, boolean copyOptions) {
        StringBuilder b = new StringBuilder(s.kind().name());
        if (s.txCommand() != null) {
            b.append(' ').append(s.txCommand());
        }
        if (s.name() != null) {
            b.append(" name=").append(s.name());
        }
        if (s.setting() != null) {
            b.append(" value=").append(s.setting().isDefault() ? "DEFAULT" : s.setting().value())
                    .append(s.setting().local() ? " (local)" : "");
        }
        if (!s.tables().isEmpty()) {
            b.append(" table=").append(s.tables().stream().map(TableName::toString).collect(Collectors.joining(",")));
        }
        if (!s.columns().isEmpty()) {
            b.append(" cols=").append(String.join(",", s.columns()));
        }
        flag(b, s.hasSelect(), "select");
        if (s.onConflict() != ClassifiedStatement.ConflictAction.NONE) {
            b.append(" conflict=").append(s.onConflict().name().toLowerCase(java.util.Locale.ROOT));
        }
        flag(b, s.returning(), "returning");
        flag(b, s.withClause(), "with");
        flag(b, s.dataModifyingWith(), "dmlWith");
        if (!s.withWrites().isEmpty()) {
            b.append('=').append(s.withWrites().stream().map(TableName::toString).collect(Collectors.joining(",")));
        }
        flag(b, s.explainAnalyzeWrite(), "explainWrite");
        flag(b, s.callsSetConfig(), "setConfig");
        if (!s.nonDeterministic().isEmpty()) {
            b.append(" nondet=").append(String.join(",", new TreeSet<>(s.nonDeterministic())));
        }
        if (!s.defaults().isEmpty()) {
            b.append(" defaults=").append(new TreeSet<>(s.defaults()).toString().replace(" ", ""));
        }
        if (s.copyFormat() != null) {
            b.append(" format=").append(s.copyFormat());
        }
        if (copyOptions && s.copyOptions() != null) {
            b.append(" opts=").append(s.copyOptions());
        }
        if (s.searchPath() != null) {
            b.append(" path=").append(s.searchPath().isDefault() ? "DEFAULT" : String.join(",", s.searchPath().schemas()));
            flag(b, s.searchPath().local(), "local");
        }
        if (s.inner() != null) {
            b.append(" inner=(").append(one(s.inner(), copyOptions)).append(')');
        }
        if (s.tableChange() instanceof ClassifiedStatement.TableChange.Create c) {
            b.append(" create").append(c.temporary() == ClassifiedStatement.Temporary.NO ? "" : "=" + c.temporary())
                    .append(c.ifNotExists() ? " ifNotExists" : "");
        } else if (s.tableChange() instanceof ClassifiedStatement.TableChange.Rename r) {
            b.append(" renamedTo=").append(r.to());
        } else if (s.tableChange() instanceof ClassifiedStatement.TableChange.SetSchema m) {
            b.append(" movedTo=").append(m.schema());
        } else if (s.tableChange() instanceof ClassifiedStatement.TableChange.CreateSchema c) {
            b.append(" createSchema=").append(c.name());
        } else if (s.tableChange() instanceof ClassifiedStatement.TableChange.DropSchema d) {
            b.append(" dropSchema=").append(String.join(",", d.names()));
        } else if (s.tableChange() != null) {
            b.append(' ').append(s.tableChange().getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT));
        }
        flag(b, s.malformed(), "malformed");
        return b.toString();
    }

    private static void flag(StringBuilder b, boolean on, String name) {
        if (on) {
            b.append(' ').append(name);
        }
    }
}
