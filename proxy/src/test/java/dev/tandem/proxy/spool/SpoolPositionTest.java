package dev.tandem.proxy.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.junit.jupiter.api.Test;

class SpoolPositionTest {

    @Test
    void ordersBySegmentThenOffset() {
        List<SpoolPosition> positions = new ArrayList<>(List.of(new SpoolPosition(9, 32), new SpoolPosition(1, 900),
                new SpoolPosition(9, 31), SpoolPosition.ORIGIN, new SpoolPosition(1, 32)));
        Collections.sort(positions);

        assertThat(positions).containsExactly(SpoolPosition.ORIGIN, new SpoolPosition(1, 32),
                new SpoolPosition(1, 900), new SpoolPosition(9, 31), new SpoolPosition(9, 32));
        assertThat(new SpoolPosition(2, 0).isAfter(new SpoolPosition(1, Long.MAX_VALUE))).isTrue();
    }

    @Test
    void rejectsNegativeParts() {
        assertThatThrownBy(() -> new SpoolPosition(-1, 0))
                .hasMessage("spool position parts must not be negative: segment -1, offset 0");
    }
}
