package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.ClassifiedStatement.Kind;
import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.capture.PendingRequest.BindRequest;
import dev.tandem.proxy.capture.PendingRequest.CloseRequest;
import dev.tandem.proxy.capture.PendingRequest.DescribeRequest;
import dev.tandem.proxy.capture.PendingRequest.ExecuteRequest;
import dev.tandem.proxy.capture.PendingRequest.FunctionRequest;
import dev.tandem.proxy.capture.PendingRequest.ParseRequest;
import dev.tandem.proxy.capture.PendingRequest.QueryRequest;
import dev.tandem.proxy.capture.PendingRequest.SyncRequest;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The walk of a session's requests the source has not answered yet, in the order it runs them, that tells a
 * {@link CommitForecast} what each may write and commit: whether the source may still commit mirrored writes of the
 * session's before its next answer ({@link SessionCapture#awaitsOutcome}, the in-flight trace, and the
 * {@link UnknownOutcome} of a session that ends). It reads the {@link SessionCapture}'s live state, on its event
 * loop, and changes none of it.
 */
final class ForecastWalk {

    private final Deque<PendingRequest> pending;
    private final ServerNames<Prepared> statements;
    private final ServerNames<Portal> portals;
    private final TransactionTracker tracker;
    private final Names names;
    /** How many requests the walks went through, in all: for tests. */
    private long walked;

    /**
     * @param pending       the requests the source has not answered yet, in its order
     * @param statements    the session's prepared statements, as far as the source may hold them
     * @param portals       the session's portals, likewise
     * @param tracker       the session's transaction, as far as the source answered
     * @param names         what the session's table names mean now
     */
    ForecastWalk(Deque<PendingRequest> pending, ServerNames<Prepared> statements, ServerNames<Portal> portals,
                 TransactionTracker tracker, Names names) {
        this.pending = pending;
        this.statements = statements;
        this.portals = portals;
        this.tracker = tracker;
        this.names = names;
    }

    /** What the forecast asks of the session's names, as they resolve now; without changing what they resolve to. */
    interface Names {
        /** The mirrored table statement {@code s} writes as the mirror replays it, or null. */
        TableName mirroredWrite(ClassifiedStatement s);

        /**
         * The mirrored table an Execute's {@code capture} of {@code p} writes if the source runs it now: resolved
         * again when names changed since it was made ({@link SessionCapture}'s {@code ran}); or null.
         */
        TableName ranNow(StatementCapture capture, Prepared p);

        /**
         * A write of unqualified {@code name} that runs behind a request that may change what it means: the mirrored
         * tables it may write, and the name with the search_path as known, in words.
         */
        Unresolved unresolved(TableName name);
    }

    /** See {@link Names#unresolved}. */
    record Unresolved(Set<TableName> tables, String described) {
    }

    /**
     * What the source may still commit of mirrored writes: the open transaction's and those of every request it has
     * not answered, in the order it runs them. A COPY whose data the client has not ended cannot complete: the source
     * gets the end of the connection instead and fails it.
     */
    CommitForecast forecast(boolean conservative) {
        return forecast(conservative, null, null);
    }

    /**
     * {@link #forecast(boolean)}, gathering into {@code times} the rows of each write it counts, as the capture holds
     * them now (the session ends).
     *
     * @param times    null: not gathered
     * @param settings the session's settings, which the writes not run yet run under unless a request ahead of them
     *                 may change them
     */
    CommitForecast forecast(boolean conservative, OutcomeTimes times, SessionSettings settings) {
        TransactionTracker.State state = tracker.state();
        CommitForecast forecast = new CommitForecast(conservative, tracker.written(), tracker.writtenTables(),
                state == TransactionTracker.State.EXPLICIT || state == TransactionTracker.State.FAILED,
                state == TransactionTracker.State.FAILED || state == TransactionTracker.State.IMPLICIT_FAILED,
                tracker.hasSavepoints(), times);
        SureRuns sure = new SureRuns();
        Prepares prepares = new Prepares();
        Ahead ahead = new Ahead(settings);
        walked += pending.size();
        PendingRequest mayBeTaken = null;
        for (PendingRequest p : pending) {
            if (p == mayBeTaken) {
                forecast.nextRequestMayBeSkipped();
            }
            PendingRequest taken = takenByCopy(p);
            mayBeTaken = taken != null ? taken : mayBeTaken;
            if (p instanceof ParseRequest r) {
                prepares.parsed(r);
                if (!sure.parsed(r, forecast.mayBeSkipped())) {
                    forecast.statementWalked();
                }
            } else if (p instanceof BindRequest b) {
                if (!sure.bound(b, forecast.mayBeSkipped())) {
                    forecast.statementWalked();
                }
            } else if (p instanceof DescribeRequest) {
                forecast.statementWalked(); // of something that may not exist
            } else if (p instanceof CloseRequest) {
                sure.closed();
            } else if (p instanceof QueryRequest q) {
                sure.queried();
                forecast.queryStarts();
                int copy = 0;
                for (int k = 0; k < q.statements.size(); k++) {
                    ClassifiedStatement s = q.statements.get(k);
                    CopyIn in = s.kind() == Kind.COPY_FROM_STDIN && copy < q.copies.size() ? q.copies.get(copy++)
                            : null;
                    if (k >= q.next) {
                        // decided: the source started running it (a COPY reading its data)
                        TableName table = q.decided[k] ? (q.captures[k] == null ? null : q.captures[k].table)
                                : prepares.write(s);
                        ClassifiedStatement written = q.decided[k] ? null : prepares.runs(s);
                        OutcomeTimes.Rows rows = !forecast.gathersRows() ? null : q.decided[k]
                                ? capturedRows(q.captures[k], in, ahead.settings())
                                : queryRows(s, written, s.text(q.sql), in, q.encoding, ahead.settings());
                        forecastStatement(forecast, s, written, table, s.text(q.sql), in, conservative, ahead, rows);
                        forecast.statementWalked();
                        prepares.prepared(s, q.sql);
                        ahead.walked(s, q.sql);
                    }
                }
                forecast.requestEnds("the query that writes them, which commits as it ends", false);
            } else if (p instanceof ExecuteRequest e) {
                forecastExecute(forecast, e, conservative, sure.runs(e), prepares, ahead);
            } else if (p instanceof SyncRequest) {
                sure.requestEnded();
                forecast.requestEnds("the Sync that commits the batch that writes them", true);
            } else if (p instanceof FunctionRequest) {
                ahead.functionCalled();
                sure.requestEnded();
                forecast.requestEnds("a function call that ends their transaction", false);
            }
        }
        return forecast;
    }

    /**
     * The request the client sent while this one's COPY would read data ({@link CopyIn#takes}), or null: that COPY may
     * take it as its data and fail at it, and then it never runs.
     */
    private static PendingRequest takenByCopy(PendingRequest p) {
        if (p instanceof QueryRequest q) {
            for (CopyIn c : q.copies) {
                if (c.takes != null && !c.failed) {
                    return c.takes;
                }
            }
            return null;
        }
        return p instanceof ExecuteRequest e && e.copy != null && !e.copy.failed ? e.copy.takes : null;
    }

    /** For tests: how many requests the walks went through, in all. */
    long walked() {
        return walked;
    }

    /**
     * The statement and portal the source surely holds as the forecast walks the requests it has not answered: an
     * Execute of another portal may not run what the client meant (its Parse or Bind may have failed), so the forecast
     * does not assume a BEGIN it runs ({@link CommitForecast}). Sure is only what cannot fail: a Parse of an unnamed
     * transaction control statement, and an unnamed Bind of a sure one that gives it exactly the parameters its Parse
     * declared (such a statement takes none of its own), each with nothing ahead of it in its batch that may fail; and
     * what the source confirmed, until a request walked may have dropped it. Any other Parse or Bind may fail (a
     * name in use, a missing table, a wrong number of values, a bad one), and then the source skips the rest of the
     * batch.
     */
    private final class SureRuns {
        /** No Close or Query walked yet: the statements the source confirmed are still there. */
        private boolean confirmedStatements = true;
        /** No request end walked yet either: nor are its portals, which end with their transaction. */
        private boolean confirmedPortals = true;
        /** The unnamed statement of a sure Parse walked. */
        private Prepared statement;
        /** The unnamed portal of a sure Bind walked in the current request. */
        private Portal portal;

        /** @return whether the Parse surely succeeds */
        boolean parsed(ParseRequest r, boolean mayBeSkipped) {
            if (!r.name().isEmpty()) {
                return false; // the source refuses a name in use
            }
            statement = !mayBeSkipped && SessionCapture.runsTransaction(r.prepared()) ? r.prepared() : null;
            return statement != null;
        }

        /** @return whether the Bind surely succeeds */
        boolean bound(BindRequest b, boolean mayBeSkipped) {
            if (!b.name().isEmpty()) {
                return false;
            }
            List<Prepared> candidates = b.portal().statement.candidates();
            Prepared p = candidates.size() == 1 ? candidates.get(0) : null;
            boolean held = p == statement || confirmedStatements && statements.holds(b.portal().statement, p);
            portal = !mayBeSkipped && SessionCapture.runsTransaction(p) && held
                    && b.parameters() == p.parameterTypes().length ? b.portal() : null;
            return portal != null;
        }

        /** Whether the Execute surely runs its portal's statement, unless a request ahead of it in its batch fails. */
        boolean runs(ExecuteRequest e) {
            List<Portal> candidates = e.portal.candidates();
            Portal p = candidates.size() == 1 ? candidates.get(0) : null;
            return e.firstRun && p != null && (p == portal || confirmedPortals && portals.holds(e.portal, p));
        }

        /** A Close: which statement or portal it drops is not followed here. */
        void closed() {
            confirmedStatements = false;
            confirmedPortals = false;
            statement = null;
            portal = null;
        }

        /** A simple Query drops the unnamed statement and portal, and ends its request. */
        void queried() {
            closed();
        }

        void requestEnded() {
            confirmedPortals = false;
            portal = null;
        }
    }

    /**
     * The named statements the requests walked make before the source answered them: the capture knows an SQL PREPARE
     * only once it completed, and an SQL EXECUTE by what the source confirmed, but an EXECUTE (or a Bind) of the name
     * sent behind them runs what they make, each assumed to succeed. Nothing is kept until one is walked.
     */
    private final class Prepares {
        /** Name -> the statement made under it, and the SQL that made it. */
        private Map<String, Made> made;

        private record Made(ClassifiedStatement statement, String sql) {
        }

        /** A Parse walked: an SQL EXECUTE of its name runs its statement (a Bind already finds it requested). */
        void parsed(ParseRequest r) {
            if (!r.name().isEmpty() && r.prepared().statement() != null) {
                put(r.name(), new Made(r.prepared().statement(), r.prepared().sql()));
            }
        }

        /** A statement of a Query or an Execute walked: a PREPARE makes its inner statement. */
        void prepared(ClassifiedStatement s, String sql) {
            if (s.kind() == Kind.PREPARE && s.name() != null && s.inner() != null) {
                put(s.name(), new Made(s.inner(), s.text(sql)));
            }
        }

        private void put(String name, Made m) {
            if (made == null) {
                made = new HashMap<>();
            }
            made.put(name, m);
        }

        /** The mirrored table statement {@code s} writes as the mirror replays it, or null. */
        TableName write(ClassifiedStatement s) {
            Made m = made == null || s.kind() != Kind.EXECUTE ? null : made.get(s.name());
            return names.mirroredWrite(m != null ? m.statement() : s);
        }

        /** The statement {@code s} runs: for an SQL-level EXECUTE, the one it names (null when none is known). */
        ClassifiedStatement runs(ClassifiedStatement s) {
            if (s == null || s.kind() != Kind.EXECUTE) {
                return s;
            }
            Made m = made == null ? null : made.get(s.name());
            Prepared held = m != null || s.name() == null ? null : statements.held(s.name());
            return m != null ? m.statement() : held == null ? null : held.statement();
        }

        /** The statement a Bind of {@code name} runs that the capture does not know yet, or null. */
        Made bound(String name) {
            return made == null ? null : made.get(name);
        }
    }

    /**
     * An Execute's part in the forecast: the writes of every statement it may run (see {@link ServerNames}); when one
     * of them controls the transaction, every write from there on counts. {@code sure}: see {@link SureRuns}.
     */
    private void forecastExecute(CommitForecast forecast, ExecuteRequest e, boolean conservative, boolean sure,
                                 Prepares prepares, Ahead ahead) {
        if (!sure) {
            forecast.statementWalked(); // its Parse or Bind may have failed ahead of it
        }
        List<Run> runs = SessionCapture.possibleRuns(statements, portals, e.portal);
        if (runs.size() > 1 && runs.stream().anyMatch(r -> SessionCapture.runsTransaction(r.prepared()))) {
            forecast.unsure();
        }
        for (Run run : runs) {
            if (run.prepared() == null) {
                ahead.walked(null, null);
                continue;
            }
            ClassifiedStatement s = run.prepared().statement();
            StatementCapture c = run.portal() == e.portal() && run.prepared() == e.capturedFrom ? e.capture : null;
            String sql = c != null ? c.sql : run.prepared().sql();
            CopyIn copy = SessionCapture.runsCopy(run.prepared()) ? e.copy : null;
            if (c != null) {
                // as made, and as it resolves now if names changed since: a table too many errs on the safe side
                TableName now = names.ranNow(c, run.prepared());
                // once per Execute of every walk, so no set is made for the common case of one table
                List<TableName> tables = c.table == null ? (now == null ? List.of() : List.of(now))
                        : now == null || now.equals(c.table) ? List.of(c.table) : List.of(c.table, now);
                forecastWrites(forecast, s, prepares.runs(s), tables, sql, copy, conservative, ahead,
                        forecast.gathersRows() ? capturedRows(c, copy, ahead.settings()) : null);
            } else {
                TableName table = s == null ? null : prepares.write(s);
                forecastStatement(forecast, s, prepares.runs(s), table, sql, copy, conservative, ahead,
                        forecast.gathersRows() ? OTHER_RUN : null);
            }
            if (s != null) {
                prepares.prepared(s, run.prepared().sql());
            }
            ahead.walked(s, run.prepared().sql());
        }
        for (Portal p : e.portal.candidates()) {
            // bound to a name the capture holds no statement under: one a request walked makes (a PREPARE in flight)
            Prepares.Made made = p.statement.candidates().isEmpty() && portals.possible(e.portal, p)
                    ? prepares.bound(p.statement.name()) : null;
            if (made != null) {
                forecastStatement(forecast, made.statement(), made.statement(),
                        names.mirroredWrite(made.statement()), made.sql(), null, conservative, ahead,
                        forecast.gathersRows() ? MADE_AHEAD : null);
                ahead.walked(made.statement(), made.sql());
            }
        }
        forecast.statementWalked(); // also one of a portal the proxy does not know: the source fails it
    }

    /**
     * Statement {@code s}'s part in the forecast: a write into {@code table} (null: none), or, when it writes an
     * unqualified name behind a request walked that may change what the name means, a write into a table the source
     * decides then ({@link Names#unresolved}).
     *
     * @param written the INSERT or COPY {@code s} runs (itself, or the statement an SQL-level EXECUTE names), or null
     */
    private void forecastStatement(CommitForecast forecast, ClassifiedStatement s, ClassifiedStatement written,
                                   TableName table, String sql, CopyIn copy, boolean conservative, Ahead ahead,
                                   OutcomeTimes.Rows rows) {
        forecastWrites(forecast, s, written, table == null ? List.of() : List.of(table), sql, copy, conservative, ahead,
                rows);
    }

    /** @param rows its rows, when the forecast {@link CommitForecast#gathersRows gathers them} */
    private void forecastWrites(CommitForecast forecast, ClassifiedStatement s, ClassifiedStatement written,
                                List<TableName> tables, String sql, CopyIn copy, boolean conservative,
                                Ahead ahead, OutcomeTimes.Rows rows) {
        boolean completes = copy == null || conservative || (copy.ended && !copy.failed && !copy.abandoned);
        if (completes) {
            if (ahead.mayChange && written != null && SessionCapture.replayable(written)
                    && written.table().schema() == null) {
                Unresolved unresolved = names.unresolved(written.table());
                Set<TableName> may = new LinkedHashSet<>(tables);
                may.addAll(unresolved.tables());
                if (!may.isEmpty()) {
                    forecast.write(may, sql, unresolved.described(), rows);
                }
            } else if (!tables.isEmpty()) {
                forecast.write(tables, sql, null, rows);
            }
        }
        if (s != null && s.kind() == Kind.TRANSACTION) {
            forecast.transaction(s.txCommand());
        }
    }

    /** A write into no mirrored table: counted for none. */
    private static final OutcomeTimes.Rows NOT_MIRRORED = OutcomeTimes.unread("not a mirrored table's write");
    /** An Execute of a portal other than the one the client bound, whose values the capture did not keep. */
    private static final OutcomeTimes.Rows OTHER_RUN = OutcomeTimes.unread("a statement the source may run instead"
            + " of the one the client bound, whose values the proxy did not keep");
    /** A Bind of a statement a request not answered yet prepares: its values were not kept. */
    private static final OutcomeTimes.Rows MADE_AHEAD = OutcomeTimes.unread("a statement prepared by a request the"
            + " source had not answered, whose values the proxy did not keep");

    /**
     * The rows of a write the capture made, not completed yet: its text and Bind values, or its COPY's data, all of
     * which the client sent (the forecast counts a COPY only once the client ended its data).
     *
     * @param copy     its COPY's data as the client sent it, when it is one
     * @param settings the settings it runs under; null when not certain
     */
    private static OutcomeTimes.Rows capturedRows(StatementCapture c, CopyIn copy, InputSettings settings) {
        if (c == null) {
            return NOT_MIRRORED;
        }
        if (c.unreplayable != null) {
            return OutcomeTimes.unread("a statement whose data the proxy did not keep (" + c.unreplayable + ")");
        }
        if (!c.isCopy()) {
            return c.bind == null ? OutcomeTimes.insert(c.sql, new int[0], new short[0], new byte[0][], settings)
                    : OutcomeTimes.insert(c.sql, c.parameterTypes, c.bind.formats(), c.bind.values(), settings);
        }
        if (copy != null && !copy.answered) {
            return copyRows(c.statement, copy, c.clientEncoding, settings);
        }
        return OutcomeTimes.copy(c.statement, List.copyOf(c.copyData), c.clientEncoding, settings);
    }

    /**
     * The rows of a statement of a Query the source has not started: its text, or its COPY's data.
     *
     * @param written  the INSERT or COPY it runs, or null
     * @param encoding the client_encoding the Query was read in (null: UTF8)
     */
    private static OutcomeTimes.Rows queryRows(ClassifiedStatement s, ClassifiedStatement written, String text,
                                               CopyIn copy, String encoding, InputSettings settings) {
        if (written != s) {
            return OutcomeTimes.unread("an EXECUTE of a prepared statement, whose values are not read");
        }
        if (s.kind() == Kind.COPY_FROM_STDIN) {
            return copy == null ? OutcomeTimes.unread("a COPY whose data the proxy did not tell apart")
                    : copy.answered && copy.capture != null ? capturedRows(copy.capture, copy, settings)
                    : copyRows(s, copy, encoding, settings);
        }
        return OutcomeTimes.insert(text, new int[0], new short[0], new byte[0][], settings);
    }

    /** A COPY's data the source has not started reading: what the capture kept of it before the answer. */
    private static OutcomeTimes.Rows copyRows(ClassifiedStatement s, CopyIn copy, String encoding,
                                              InputSettings settings) {
        if (!copy.kept || copy.overLimit || copy.failed) {
            return OutcomeTimes.unread("COPY data the proxy did not keep");
        }
        return OutcomeTimes.copy(s, List.copyOf(copy.early), encoding, settings);
    }

    /**
     * What a request walked may change for the writes walked behind it, which the capture follows only once the
     * source completed it: what unqualified names mean ({@link SessionNames#mayChange}), so such a write may mean
     * another table than the name means now; and the settings its values are read under ({@link SessionSettings}).
     */
    private static final class Ahead {
        /** The session's settings now; null when they are not looked at (the forecast gathers no rows). */
        private final SessionSettings session;
        private boolean mayChange;
        private boolean settingsMayChange;
        private boolean transactionControl;

        Ahead(SessionSettings session) {
            this.session = session;
        }

        void walked(ClassifiedStatement s, String sql) {
            mayChange |= s != null && SessionNames.mayChange(s, sql);
            if (session != null) {
                // an EXECUTE runs a statement the capture may not know yet, a SELECT set_config(...) say
                settingsMayChange |= s == null || s.kind() == Kind.EXECUTE || InputSettings.mayChange(s, sql);
                transactionControl |= s != null && s.kind() == Kind.TRANSACTION;
            }
        }

        /** A FunctionCall: the function may set anything. */
        void functionCalled() {
            settingsMayChange = true;
        }

        /** The settings a write walked now runs under; null when not certain. */
        InputSettings settings() {
            if (session == null || settingsMayChange) {
                return null;
            }
            return transactionControl ? session.knownAcrossTransactionEnd() : session.known();
        }
    }
}
