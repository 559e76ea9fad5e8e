package dev.tandem.proxy.mirror;

import dev.tandem.protocol.sql.Identifiers;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.sql.TargetTableSpan;
import dev.tandem.proxy.capture.CapturedStatement;
import dev.tandem.proxy.capture.ChunkHypertables;
import dev.tandem.proxy.config.TableFilter;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes that name a TimescaleDB chunk ({@code INSERT INTO _timescaledb_internal._hyper_1_2_chunk ...}), replayed as
 * writes into the chunk's hypertable: the target's chunks have other names, and its hypertable puts each row in its
 * own chunk there. A chunk's columns are its hypertable's, in the same order, so the statement, its values and its
 * COPY data stay as they are but for the table name. Only the source's catalog names the hypertable
 * ({@code source.user}); without it such writes are counted ({@code outcome="chunk_unmapped"}) and warned about. Used
 * on the applier thread only.
 */
final class ChunkWrites {

    private static final Logger LOG = LoggerFactory.getLogger(ChunkWrites.class);

    private final ChunkHypertables chunks;
    private final TableFilter tables;
    private final MirrorMetrics metrics;
    private final Set<String> logged = new HashSet<>();

    ChunkWrites(ChunkHypertables chunks, TableFilter tables, MirrorMetrics metrics) {
        this.chunks = chunks;
        this.tables = tables;
        this.metrics = metrics;
    }

    /**
     * The write as one into the chunk's hypertable, or null when it is not mirrored: the hypertable is not, the source
     * has no such chunk (not TimescaleDB, or dropped since with its rows, by a retention policy say), or the proxy
     * cannot ask the source.
     *
     * @param counted the chunks of this transaction already counted as unmapped: a transaction counts once per chunk
     * @param count   false for a transaction an earlier attempt to apply it counted already
     */
    CapturedStatement intoHypertable(String sourceDatabase, TargetSession session, CapturedStatement write,
                                     Set<TableName> counted, boolean count) {
        TableName chunk = write.table();
        if (!chunks.available()) {
            if (count) {
                metrics.leftOut(chunk, MirrorMetrics.CHUNK_UNMAPPED, write.sourceRows(), counted);
            }
            if (logged.add(session.database())) {
                LOG.warn("mirror: a write into TimescaleDB chunk {} by its own name is not mirrored: chunk names differ"
                        + " between servers and only the source's catalog names the chunk's hypertable. Set"
                        + " source.user so the proxy can mirror such writes into their hypertable; until then they are"
                        + " counted in tandem_mirror_transactions_total{outcome=\"chunk_unmapped\"}, and verify finds"
                        + " their rows (target database {})", chunk, session.database());
            }
            return null;
        }
        TableName hypertable = chunks.awaitHypertableOf(sourceDatabase, chunk).orElse(null);
        if (hypertable == null || !tables.mirrors(hypertable.schema(), hypertable.name(),
                tables.includesHypertables() && session.isHypertable(hypertable))) {
            if (logged.add(session.database() + "\0" + chunk)) {
                LOG.info("mirror: {} is not a chunk of a mirrored hypertable on the source: writes into it are not"
                        + " mirrored", chunk);
            }
            return null;
        }
        String quoted = Identifiers.quoteQualified(hypertable.schema(), hypertable.name());
        if (write instanceof CapturedStatement.Unreplayable) {
            return write.into(hypertable, write.sql()); // ledgered: under the table repair re-copies
        }
        TargetTableSpan span = TargetTableSpan.find(write.sql());
        if (span == null) {
            return new CapturedStatement.Unreplayable(hypertable, write.sourceRows(), write.sql(), "a write into "
                    + chunk + ", a chunk of mirrored hypertable " + hypertable + ", whose table the proxy could not"
                    + " find in its text to write " + hypertable + " instead: re-copy the window of its rows' times,"
                    + " then settle this entry", write.searchPath());
        }
        if (logged.add(session.database() + "\0" + chunk)) {
            LOG.info("mirror: writes into chunk {} are mirrored into its hypertable {}", chunk, hypertable);
        }
        return write.into(hypertable, span.replaceKeepingReferences(write.sql(), quoted, chunk));
    }
}
