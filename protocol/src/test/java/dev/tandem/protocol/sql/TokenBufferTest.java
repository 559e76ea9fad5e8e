package dev.tandem.protocol.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

class TokenBufferTest {

    /**
     * A query carrying one large value (a 50 MB text literal through psql) has a handful of tokens: sizing the token
     * array by the length of the SQL instead took three times the SQL's size in heap, and a proxy with a 256 MiB heap
     * ran out of memory on a 50 MB INSERT.
     */
    @Test
    void aLargeLiteralTakesMemoryForItsTokensNotForItsLength() {
        String sql = "INSERT INTO big VALUES (1, '" + "x".repeat(16 * 1024 * 1024) + "')";
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(thread);

        TokenBuffer tokens = TokenBuffer.tokenize(sql);

        long allocated = threads.getThreadAllocatedBytes(thread) - before;
        assertThat(tokens.size()).isEqualTo(9);
        assertThat(tokens.stringValue(7)).hasSize(16 * 1024 * 1024);
        assertThat(allocated).as("bytes allocated to tokenize").isLessThan(sql.length() / 8);
    }

    @Test
    void manyTokensStillGrowTheBuffer() {
        StringBuilder sql = new StringBuilder("INSERT INTO t VALUES (0)");
        for (int i = 1; i < 20_000; i++) {
            sql.append(",(").append(i).append(')');
        }

        TokenBuffer tokens = TokenBuffer.tokenize(sql.toString());

        assertThat(tokens.size()).isEqualTo(7 + 19_999 * 4);
        assertThat(tokens.text(tokens.size() - 2)).isEqualTo("19999");
    }
}
