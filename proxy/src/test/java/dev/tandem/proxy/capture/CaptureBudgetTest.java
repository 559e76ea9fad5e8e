package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CaptureBudgetTest {

    @Test
    void reservesUpToTheLimitAndNothingOfARequestThatDoesNotFit() {
        CaptureBudget budget = new CaptureBudget(100);
        assertThat(budget.tryReserve(60)).isTrue();
        assertThat(budget.tryReserve(41)).isFalse();
        assertThat(budget.used()).isEqualTo(60);
        assertThat(budget.tryReserve(40)).isTrue();
        budget.release(100);
        assertThat(budget.used()).isZero();
    }

    @Test
    void anUnlimitedBudgetNeverOverflows() {
        CaptureBudget budget = CaptureBudget.unlimited();
        assertThat(budget.tryReserve(Long.MAX_VALUE - 1)).isTrue();
        assertThat(budget.tryReserve(2)).isFalse();
    }

    @Test
    void aBudgetMustBePositive() {
        assertThatThrownBy(() -> new CaptureBudget(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
