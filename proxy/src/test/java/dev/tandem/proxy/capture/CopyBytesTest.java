package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A COPY's chunks read as one run of bytes, empty chunks included. */
class CopyBytesTest {

    private static List<byte[]> chunks(String... parts) {
        List<byte[]> chunks = new ArrayList<>();
        for (String part : parts) {
            chunks.add(part.getBytes(StandardCharsets.ISO_8859_1));
        }
        return chunks;
    }

    @Test
    void theCursorReadsAcrossChunksAndTellsItsOffset() {
        CopyBytes in = new CopyBytes(chunks("", "ab", "", "", "c", "d"));
        StringBuilder read = new StringBuilder();
        while (in.has(1)) {
            assertThat(in.position()).isEqualTo(read.length());
            assertThat(in.peek()).isEqualTo((byte) "abcd".charAt(read.length()));
            read.append((char) in.next());
        }
        assertThat(read).hasToString("abcd");
        assertThat(in.position()).isEqualTo(4);
        assertThatThrownBy(in::next).isInstanceOf(IllegalStateException.class).hasMessageContaining("past the end");
        assertThat(new CopyBytes(List.of()).has(1)).isFalse();
    }

    @Test
    void hasTellsWhetherSoManyBytesAreLeft() {
        CopyBytes in = new CopyBytes(chunks("a", "", "bc"));
        assertThat(in.has(3)).isTrue();
        assertThat(in.has(4)).isFalse();
        in.skip(2);
        assertThat(in.has(1)).isTrue();
        assertThat(in.has(2)).isFalse();
        in.skip(5);
        assertThat(in.has(1)).isFalse();
    }

    @Test
    void integersAreReadInNetworkOrderAcrossChunks() {
        CopyBytes in = new CopyBytes(chunks("\u00ff", "\u00fe\u0000", "\u0000\u0000\u0001", "\u0080\u0000\u0000",
                "\u0000\u0000\u0000\u0000\u0002"));
        assertThat(in.int16()).isEqualTo(-2);
        assertThat(in.int32()).isEqualTo(1);
        assertThat(in.int64()).isEqualTo(Long.MIN_VALUE + 2);
        assertThat(in.has(1)).isFalse();
    }

    @Test
    void anyOffsetIsReadAndSearchedWithoutMovingTheCursor() {
        CopyBytes in = new CopyBytes(chunks("a\\", "", "b", "\\c"));
        in.next();
        assertThat(in.byteAt(-1)).isEqualTo(-1);
        assertThat(in.byteAt(2)).isEqualTo('b');
        assertThat(in.byteAt(5)).isEqualTo(-1);
        assertThat(in.indexOf((byte) '\\', 0)).isEqualTo(1);
        assertThat(in.indexOf((byte) '\\', 2)).isEqualTo(3);
        assertThat(in.indexOf((byte) '\\', 4)).isEqualTo(-1);
        assertThat(in.position()).isEqualTo(1);
    }

    @Test
    void truncatingKeepsTheBytesBeforeTheOffset() {
        List<byte[]> data = chunks("ab", "", "cd", "ef");
        new CopyBytes(data).truncate(3);
        assertThat(data).extracting(b -> new String(b, StandardCharsets.ISO_8859_1)).containsExactly("ab", "", "c");
        List<byte[]> atAChunk = chunks("ab", "cd");
        new CopyBytes(atAChunk).truncate(2);
        assertThat(atAChunk).extracting(b -> new String(b, StandardCharsets.ISO_8859_1)).containsExactly("ab");
    }
}
