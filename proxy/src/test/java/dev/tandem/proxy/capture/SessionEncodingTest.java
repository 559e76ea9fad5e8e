package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.StatementClassifier;
import dev.tandem.protocol.sql.TableName;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SessionEncodingTest {

    private static final TableName T = new TableName("public", "t");
    private static final String NOT_ASCII = "INSERT INTO t VALUES ('café')";
    private static final String ASCII = "INSERT INTO t VALUES ('cafe')";

    @Test
    void aChangeMadeByTheOnlyQueryInFlightLeavesEveryTextCertain() {
        SessionEncoding encoding = new SessionEncoding();
        assertThat(encoding.reported("UTF8")).isFalse();
        encoding.allAnswered();
        long query = encoding.nextText(); // SET client_encoding TO LATIN1; INSERT ...: the source read all of it first
        Finished sameQuery = write(query, NOT_ASCII);
        assertThat(encoding.reported("LATIN1")).isTrue();
        assertThat(encoding.clientEncoding()).isEqualTo("LATIN1");
        assertThat(encoding.charset()).isEqualTo(StandardCharsets.ISO_8859_1);
        assertThat(encoding.changedInFlight(query)).isFalse();

        encoding.allAnswered();
        Finished next = write(encoding.nextText(), NOT_ASCII);
        List<CapturedStatement> captured = List.of(sameQuery.statement(), next.statement());
        assertThat(encoding.readInTheirEncoding(captured, List.of(sameQuery, next))).isSameAs(captured);
    }

    @Test
    void aChangeWithLaterTextsInFlightLedgersTheirNonAsciiWritesOnly() {
        SessionEncoding encoding = new SessionEncoding();
        Finished before = write(encoding.nextText(), NOT_ASCII);
        encoding.allAnswered();
        encoding.nextText(); // the SET, in an extended-protocol batch
        Finished inFlight = write(encoding.nextText(), NOT_ASCII);
        Finished ascii = write(encoding.nextText(), ASCII);
        assertThat(encoding.reported("LATIN1")).isTrue();
        assertThat(encoding.changedInFlight(0)).isFalse(); // nothing committed since the session was last answered

        Finished after = write(encoding.nextText(), NOT_ASCII);
        List<Finished> writes = List.of(before, inFlight, ascii, after);
        List<CapturedStatement> captured = writes.stream().map(w -> w.statement()).toList();
        List<CapturedStatement> checked = encoding.readInTheirEncoding(captured,
                writes);

        assertThat(checked.get(1)).isInstanceOfSatisfying(CapturedStatement.Unreplayable.class,
                u -> assertThat(u.reason()).startsWith("client_encoding changed while this statement was in flight"));
        assertThat(checked.get(0)).isSameAs(captured.get(0));
        assertThat(checked.get(2)).isSameAs(captured.get(2));
        assertThat(checked.get(3)).isSameAs(captured.get(3));
    }

    @Test
    void aChangeInTheBatchOfACommitItMayHaveChangedIsToBeWarnedAbout() {
        SessionEncoding encoding = new SessionEncoding();
        encoding.allAnswered();
        Finished committed = write(encoding.nextText(), NOT_ASCII);
        List<CapturedStatement> captured = List.of(committed.statement());
        assertThat(encoding.readInTheirEncoding(captured, List.of(committed))).isSameAs(captured);
        encoding.nextText();
        assertThat(encoding.reported("LATIN1")).isTrue();
        assertThat(encoding.changedInFlight(0)).isTrue();
    }

    @Test
    void aNonAsciiStatementIsReplayedInItsEncodingOnlyWhenItsTextReadsBackAsTheClientsBytes() {
        StatementCapture utf8 = capture(NOT_ASCII);
        SessionEncoding.check(utf8, null);
        assertThat(utf8.clientEncoding).isNull();
        assertThat(utf8.unreplayable).isNull();

        StatementCapture ascii = capture(ASCII);
        SessionEncoding.check(ascii, "LATIN1");
        assertThat(ascii.clientEncoding).isNull();

        StatementCapture latin1 = capture(NOT_ASCII);
        SessionEncoding.check(latin1, "LATIN1");
        assertThat(latin1.clientEncoding).isEqualTo("LATIN1");
        assertThat(latin1.unreplayable).isNull();

        StatementCapture unreadable = capture(NOT_ASCII);
        SessionEncoding.check(unreadable, "MULE_INTERNAL");
        assertThat(unreadable.unreplayable).contains("client_encoding is MULE_INTERNAL, which the proxy cannot read");

        StatementCapture changed = capture("INSERT INTO t VALUES ('\uFFFD')"); // bytes LATIN1 could not read
        SessionEncoding.check(changed, "LATIN1");
        assertThat(changed.unreplayable).contains("does not read back as the bytes the client sent");
        assertThat(changed.clientEncoding).isNull();
    }

    /** A mirrored write from text number {@code text}, completed. */
    private static Finished write(long text, String sql) {
        StatementCapture c = capture(sql);
        c.text = text;
        return new Finished(c.finish(1, List.of(), InputSettings.UNKNOWN), c);
    }

    private static StatementCapture capture(String sql) {
        return new StatementCapture(T, sql, StatementClassifier.classify(sql).get(0), null, null);
    }
}
