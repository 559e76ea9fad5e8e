package dev.tandem.backfill.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class EntryIdsTest {

    @Test
    void anIdOrASpan() {
        assertThat(EntryIds.Selection.parse("7")).isEqualTo(new EntryIds.Selection(7, 7, false));
        assertThat(EntryIds.Selection.parse(" 5-9 ")).isEqualTo(new EntryIds.Selection(5, 9, true));
        assertThat(EntryIds.Selection.parse("5-5")).isEqualTo(new EntryIds.Selection(5, 5, true));
    }

    @Test
    void anythingElseSaysWhatIsExpected() {
        assertThatThrownBy(() -> EntryIds.Selection.parse("-3")).hasMessage("'-3' is not a ledger entry id (7) or a"
                + " span of ids (5-9)");
        assertThatThrownBy(() -> EntryIds.Selection.parse("9-5")).hasMessage("the span '9-5' runs backwards: write 5-9");
        assertThatThrownBy(() -> EntryIds.Selection.parse("99999999999999999999")).hasMessageContaining("not a ledger");
    }

    @Test
    void runsOfConsecutiveIdsAreJoinedAsTheParserReadsThem() {
        assertThat(EntryIds.format(List.of(2L, 5L, 6L, 7L, 9L, 10L, 12L))).isEqualTo("2,5-7,9-10,12");
        assertThat(EntryIds.format(List.of())).isEmpty();
        assertThat(EntryIds.format(List.of(1L, 3L, 5L, 7L), 2)).isEqualTo("1,3,... (4 in all)");
    }
}
