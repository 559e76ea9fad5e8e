package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.config.Secret;
import dev.tandem.proxy.config.SourceConfig;
import dev.tandem.proxy.config.TlsMode;
import dev.tandem.testing.PostgresPairExtension;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The chunk-to-hypertable look-up the capture and the applier share, against a real source. Plain PostgreSQL has no
 * TimescaleDB, so a database carries a stand-in for the documented {@code timescaledb_information.chunks} view (same
 * schema, name and columns).
 */
class ChunkHypertablesIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    private static final TableName CHUNK = new TableName("_timescaledb_internal", "_hyper_1_1_chunk");
    private static final TableName HYPERTABLE = new TableName("public", "ev");

    private static SourceConfig source(Optional<String> user) {
        return new SourceConfig(PG.source().host(), PG.source().port(), TlsMode.DISABLE, user, "UNUSED_ENV",
                PG.source().password().isEmpty() ? Optional.empty() : Optional.of(Secret.of(PG.source().password())),
                Duration.ofSeconds(5), Optional.empty());
    }

    private static void createChunksView(String db, String hypertable) {
        PG.source().execute(db, "CREATE SCHEMA IF NOT EXISTS timescaledb_information;"
                + " CREATE OR REPLACE VIEW timescaledb_information.chunks AS SELECT * FROM (VALUES"
                + " ('public'::name, '" + hypertable + "'::name, '_timescaledb_internal'::name,"
                + " '_hyper_1_1_chunk'::name)) v(hypertable_schema, hypertable_name, chunk_schema, chunk_name)");
    }

    @Test
    void theApplierAndTheCaptureShareOneAnswerPerChunk() throws Exception {
        String db = PG.pair().freshDatabase("chunk_hypertables");
        createChunksView(db, "ev");
        try (ChunkHypertables chunks = new ChunkHypertables(source(Optional.of(PG.source().user())))) {
            assertThat(chunks.available()).isTrue();
            assertThat(chunks.awaitHypertableOf(db, CHUNK)).contains(HYPERTABLE);
            // the source would answer otherwise now: the capture is answered at once from what the applier asked
            createChunksView(db, "other");
            var captured = chunks.hypertableOf(db, CHUNK);
            assertThat(captured).isDone();
            assertThat(captured.get()).contains(HYPERTABLE);
            assertThat(chunks.hypertableOf(db, new TableName("_timescaledb_internal", "_hyper_9_9_chunk"))
                    .get(30, TimeUnit.SECONDS)).as("a chunk the source does not have").isEmpty();
        }
    }

    @Test
    void aSourceWithoutTheTimescaleCatalogHasNoChunks() throws Exception {
        String db = PG.pair().freshDatabase("chunk_hypertables_plain");
        try (ChunkHypertables chunks = new ChunkHypertables(source(Optional.of(PG.source().user())))) {
            assertThat(chunks.awaitHypertableOf(db, CHUNK)).isEmpty();
            assertThat(chunks.hypertableOf(db, CHUNK).get(30, TimeUnit.SECONDS)).isEmpty();
        }
    }

    /** The applier retries a source that cannot be reached; the capture counts under the chunk's own name. */
    @Test
    void aSourceThatCannotBeReachedFailsTheApplierEmptiesTheCaptureAndIsAskedAgain() throws Exception {
        String db = "chunk_hypertables_later";
        try (ChunkHypertables chunks = new ChunkHypertables(source(Optional.of(PG.source().user())))) {
            assertThat(chunks.hypertableOf(db, CHUNK).get(30, TimeUnit.SECONDS)).isEmpty();
            assertThatThrownBy(() -> chunks.awaitHypertableOf(db, CHUNK)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot read the hypertable of chunk " + CHUNK)
                    .hasMessageContaining("database " + db)
                    .hasMessageContaining("source.user " + PG.source().user());
            PG.source().createDatabase(db);
            createChunksView(db, "ev");
            assertThat(chunks.awaitHypertableOf(db, CHUNK)).contains(HYPERTABLE);
        }
    }

    @Test
    void withoutSourceCredentialsNothingIsAsked() {
        try (ChunkHypertables chunks = new ChunkHypertables(source(Optional.empty()))) {
            assertThat(chunks.available()).isFalse();
            assertThat(chunks.hypertableOf("postgres", CHUNK)).isCompletedWithValue(Optional.empty());
        }
        try (ChunkHypertables none = new ChunkHypertables(null)) {
            assertThat(none.available()).isFalse();
        }
    }
}
