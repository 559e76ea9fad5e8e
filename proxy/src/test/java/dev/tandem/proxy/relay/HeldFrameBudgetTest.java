package dev.tandem.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeldFrameBudgetTest {

    @Test
    void aWaiterGetsRoomInTheOrderItAskedOnceOthersReleaseIt() {
        HeldFrameBudget budget = new HeldFrameBudget(10);
        List<String> granted = new ArrayList<>();
        assertThat(budget.tryReserve(6)).isTrue();
        assertThat(budget.tryReserve(6)).isFalse();
        budget.await(6, () -> granted.add("first"));
        budget.await(2, () -> granted.add("second"));
        // two bytes would fit now, but the first in line comes first
        assertThat(budget.tryReserve(2)).isFalse();
        assertThat(granted).isEmpty();

        budget.release(6);
        assertThat(granted).containsExactly("first", "second");
        assertThat(budget.reserved()).isEqualTo(8);
        budget.release(6);
        budget.release(2);
        assertThat(budget.reserved()).isZero();
    }

    @Test
    void aCancelledWaiterIsSkippedAndOneGrantedAlreadyCannotBeCancelled() {
        HeldFrameBudget budget = new HeldFrameBudget(10);
        List<String> granted = new ArrayList<>();
        budget.tryReserve(10);
        HeldFrameBudget.Waiter gone = budget.await(5, () -> granted.add("gone"));
        budget.await(5, () -> granted.add("next"));
        assertThat(budget.cancel(gone)).isTrue();
        budget.release(10);
        assertThat(granted).containsExactly("next");
        HeldFrameBudget.Waiter immediate = budget.await(5, () -> granted.add("at once"));
        assertThat(granted).containsExactly("next", "at once");
        assertThat(budget.cancel(immediate)).as("its room is reserved: the caller must give it back").isFalse();
    }
}
