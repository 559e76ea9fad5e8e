package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.protocol.state.TandemSchema;
import dev.tandem.testing.PostgresPairExtension;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * COPY data with the {@code \.} end-of-data marker, from a source before PostgreSQL 18 to a target on 18 (run with
 * {@code -Dtandem.postgres=18 -Dtandem.postgres.role=target}, as {@code .ci/run} does): the source ends the data
 * there, while 18 reads a CSV marker line as a row and fails a text marker that is not alone on its line. The target
 * must load the rows the source loaded, no more, and reject nothing.
 */
class CopyEndMarkerMirrorIT {

    @RegisterExtension
    static final PostgresPairExtension PG = PostgresPairExtension.embedded();

    static RunningMirrorProxy mirror;

    @RegisterExtension
    static final MirrorProxyExtension MIRROR = MirrorProxyExtension.on(PG, "copy_end", started -> mirror = started)
            .tables("CREATE TABLE readings (id int PRIMARY KEY, note text);"
                    + " CREATE TABLE notes (note text, n int DEFAULT 1)")
            // the ledger there from the first test on, emptied before each
            .prepared(database -> PG.target().execute(database, TandemSchema.ddl()))
            .flags("--mirror-table", "public.readings", "--mirror-table", "public.notes")
            .emptiedBeforeEach("readings, notes");

    /** Each test is reported skipped, with why, on any other pair (a class-level skip is not reported at all). */
    @BeforeEach
    void aSourceBefore18AndATargetOn18() {
        assumeTrue(PG.source().majorVersion() < 18 && PG.target().majorVersion() >= 18,
                "needs a source before PostgreSQL 18 and a target on 18: -Dtandem.postgres=18"
                        + " -Dtandem.postgres.role=target (source " + PG.source().majorVersion() + ", target "
                        + PG.target().majorVersion() + ")");
        PG.target().execute(mirror.database, "DELETE FROM tandem.divergence");
    }

    private static void copyIn(String sql, String data) throws Exception {
        try (Connection c = mirror.connect()) {
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            copy.copyIn(sql, new ByteArrayInputStream(data.getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** The target has the source's rows, and ledgered nothing. */
    private static void assertMirrored(String table, String rows) throws Exception {
        mirror.awaitCaughtUp(Duration.ofSeconds(30));
        mirror.assertIdentical(table);
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM " + table)).isEqualTo(rows);
        assertThat(PG.target().queryValue(mirror.database, "SELECT count(*) FROM tandem.divergence"))
                .as("ledger entries").isEqualTo("0");
    }

    /** CSV that ends with the old marker line, as psql before 18 sends a file that has it: 18 rejected it all. */
    @Test
    void csvDataEndingWithTheMarkerLine() throws Exception {
        copyIn("COPY readings FROM STDIN (FORMAT csv)", "1,a\n2,b\n\\.\n");
        assertMirrored("readings", "2");
    }

    /** With CRLF line ends, in the middle: the rows after the marker are on neither side. */
    @Test
    void csvDataWithTheMarkerLineInTheMiddle() throws Exception {
        copyIn("COPY readings FROM STDIN (FORMAT csv)", "1,a\r\n\\.\r\n2,b\r\n");
        assertMirrored("readings", "1");
    }

    /** Into one text column, 18 takes the marker line and the rows after it for rows: no error, only more rows. */
    @Test
    void csvDataIntoOneTextColumn() throws Exception {
        copyIn("COPY notes (note) FROM STDIN (FORMAT csv)", "a\n\\.\nb\n");
        assertMirrored("notes", "1");
    }

    /** Inside quotes that span lines, {@code \.} is a value on both. */
    @Test
    void aMarkerInsideQuotesIsAValue() throws Exception {
        copyIn("COPY readings FROM STDIN (FORMAT csv)", "1,\"x\n\\.\ny\"\n2,b\n");
        assertMirrored("readings", "2");
    }

    /** Text: a marker at the end of a line with data ends the data before 18, with that line a last row. */
    @Test
    void textDataWithTheMarkerAtTheEndOfALine() throws Exception {
        copyIn("COPY readings FROM STDIN", "1\ta\n2\tb\\.\n3\tc\n");
        assertMirrored("readings", "2");
    }
}
