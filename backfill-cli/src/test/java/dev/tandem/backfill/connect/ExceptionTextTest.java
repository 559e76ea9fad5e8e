package dev.tandem.backfill.connect;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

class ExceptionTextTest {

    @Test
    void aMessageIsTheText() {
        assertThat(ExceptionText.of(new SQLException("the target's session ended"))).isEqualTo("the target's session ended");
    }

    /** pgjdbc threw this out of a session left out of step; the task line said "failed: null". */
    @Test
    void anExceptionWithoutAMessageIsNamedWithItsCause() {
        assertThat(ExceptionText.of(new NoSuchElementException())).isEqualTo(
                "an unexpected java.util.NoSuchElementException without a message");
        assertThat(ExceptionText.of(new IllegalStateException(null, new SQLException("I/O error")))).isEqualTo(
                "an unexpected java.lang.IllegalStateException without a message, caused by I/O error");
    }
}
