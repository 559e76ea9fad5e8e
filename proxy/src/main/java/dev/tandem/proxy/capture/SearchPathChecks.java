package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One session's writes checked against the search_path the source reports (PostgreSQL 18 and later): at each
 * ReadyForQuery outside a failed transaction the path in force is the one it reported last ({@link SearchPathState}).
 * When the capture had followed another one, something it cannot see changed the path (a function or procedure that
 * sets it inside), and each unqualified write resolved since the last check may have gone to another table of its
 * name: those of the open transaction are ledgered when it commits (the source reports the path before the
 * ReadyForQuery that may commit it), and those a COMMIT earlier in the same request handed to the sink already are
 * warned about. Mutable, on the session's event loop only.
 */
final class SearchPathChecks {

    private static final Logger LOG = LoggerFactory.getLogger(SearchPathChecks.class);

    private final SessionNames names;
    private final CaptureMetrics metrics;
    private final long sessionId;
    /** A write of the open transaction is to be ledgered: the search_path it was resolved under was contradicted. */
    private boolean contradictedInTransaction;
    /**
     * The unqualified writes a COMMIT handed to the sink since the last check, by table, while the server reports the
     * path: the check at the end of their request may contradict their path too late.
     */
    private final Map<TableName, Long> committedUnchecked = new LinkedHashMap<>();
    /** A contradiction was logged for this session. */
    private boolean logged;

    SearchPathChecks(SessionNames names, CaptureMetrics metrics, long sessionId) {
        this.names = names;
        this.metrics = metrics;
        this.sessionId = sessionId;
    }

    /** The source completed capture {@code c}: the next check is of the path it was resolved under. */
    void completed(StatementCapture c) {
        c.pathChecks = names.pathChecks();
    }

    /**
     * A ReadyForQuery, before the transaction that ends at it is ended.
     *
     * @param status   its transaction status
     * @param commits  at {@code I}: the transaction that ends at it commits (it did not fail)
     * @param finished the open transaction's mirrored writes, each with its capture
     */
    void ready(char status, boolean commits, List<Finished> finished) {
        long unchecked = names.pathChecks();
        SearchPathState.Path believed = names.ready(status, commits);
        if (believed != null) {
            contradicted(unchecked, believed, finished);
        }
        if (names.pathChecks() != unchecked) {
            committedUnchecked.clear();
        }
    }

    private void contradicted(long unchecked, SearchPathState.Path believed, List<Finished> finished) {
        metrics.searchPathContradicted();
        List<String> reported = names.searchPath().schemas();
        String reason = SearchPathState.contradictedReason(believed, reported);
        int ledgered = 0;
        for (Finished f : finished) {
            StatementCapture c = f.capture();
            if (c.pathChecks == unchecked && resolvedByPath(c)) {
                c.pathContradicted = reason;
                contradictedInTransaction = true;
                ledgered++;
            }
        }
        if (!committedUnchecked.isEmpty()) {
            LOG.warn("session {}: the source reported search_path {} where the proxy had followed {}, changed where it"
                    + " cannot see (SET search_path or set_config inside a function or procedure, say): unqualified"
                    + " writes that a COMMIT earlier in the same request committed were mirrored under the path it had"
                    + " followed and may belong in another table of the same name (writes by table: {}); compare the"
                    + " tables of that name with tandem-backfill verify", sessionId, SearchPathState.shown(reported),
                    SearchPathState.shown(believed.schemas()), committedUnchecked);
        } else if (!logged) {
            LOG.warn("session {}: the source reported search_path {} where the proxy had followed {}, changed where it"
                    + " cannot see (SET search_path or set_config inside a function or procedure, say): {} unqualified"
                    + " write(s) of that request are ledgered (not_replayable) if they commit, rather than mirrored"
                    + " into a table the source may not have written; the proxy follows the reported path from here on"
                    + " (logged once per session, counted in tandem_search_path_contradicted_total)", sessionId,
                    SearchPathState.shown(reported), SearchPathState.shown(believed.schemas()), ledgered);
        }
        logged = true;
    }

    /** Whether the table a completed capture writes was decided by the search_path: an unqualified name, replayable. */
    private static boolean resolvedByPath(StatementCapture c) {
        return c.unreplayable == null && c.statement.table().schema() == null;
    }

    /**
     * The committed writes, where one whose search_path a check contradicted is ledgered; while the server reports the
     * path, those not checked yet are noted for the check at the end of their request.
     *
     * @param finished the committing transaction's mirrored writes, each with its capture
     */
    List<CapturedStatement> committed(List<CapturedStatement> captured, List<Finished> finished) {
        boolean reported = names.pathReported();
        if (!reported && !contradictedInTransaction) {
            return captured;
        }
        long unchecked = names.pathChecks();
        Map<CapturedStatement, String> contradicted = null;
        for (Finished f : finished) {
            StatementCapture c = f.capture();
            if (c.pathContradicted != null) {
                if (contradicted == null) {
                    contradicted = new IdentityHashMap<>();
                }
                contradicted.put(f.statement(), c.pathContradicted);
            } else if (reported && c.pathChecks == unchecked && resolvedByPath(c)) {
                committedUnchecked.merge(c.table, 1L, Long::sum);
            }
        }
        if (contradicted == null) {
            return captured;
        }
        List<CapturedStatement> checked = new ArrayList<>(captured.size());
        for (CapturedStatement s : captured) {
            String reason = contradicted.get(s);
            checked.add(reason == null ? s
                    : new CapturedStatement.Unreplayable(s.table(), s.sourceRows(), s.sql(), reason, s.searchPath()));
        }
        return checked;
    }

    /** The open transaction ended: its writes are committed or gone. */
    void transactionEnded() {
        contradictedInTransaction = false;
    }
}
