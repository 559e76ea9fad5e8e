package dev.tandem.backfill.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.backfill.state.TaskState.Event;
import org.junit.jupiter.api.Test;

class TaskStateTest {

    @Test
    void happyPath() {
        assertThat(TaskState.PENDING.on(Event.COPIED).on(Event.VERIFIED_EQUAL)).isEqualTo(TaskState.VERIFIED);
    }

    @Test
    void mismatchGoesBackToPendingThroughRepair() {
        TaskState s = TaskState.VERIFIED.on(Event.VERIFIED_DIFFERENT);
        assertThat(s).isEqualTo(TaskState.MISMATCH);
        assertThat(s.on(Event.REQUEUED)).isEqualTo(TaskState.PENDING);
    }

    @Test
    void failedTasksAreRetried() {
        assertThat(TaskState.PENDING.on(Event.COPY_FAILED).on(Event.COPIED)).isEqualTo(TaskState.DONE);
    }

    @Test
    void impossibleTransitionsAreRefused() {
        assertThatThrownBy(() -> TaskState.PENDING.on(Event.VERIFIED_EQUAL)).hasMessageContaining("PENDING");
        assertThatThrownBy(() -> TaskState.DONE.on(Event.COPIED)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void storedAsLowerCase() {
        assertThat(TaskState.MISMATCH.sql()).isEqualTo("mismatch");
        assertThat(TaskState.of("failed")).isEqualTo(TaskState.FAILED);
    }
}
