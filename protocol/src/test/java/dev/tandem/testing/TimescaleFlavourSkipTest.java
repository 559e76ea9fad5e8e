package dev.tandem.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.container;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.skippedWithReason;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;
import org.testcontainers.DockerClientFactory;

/** The TimescaleDB flavour must be skipped with a clear reason where Docker is missing, and run where it is. */
class TimescaleFlavourSkipTest {

    @Test
    void withoutDockerTheClassIsDisabledWithAClearReason() {
        ConditionEvaluationResult result = PostgresPairExtension.timescaledb(() -> false).evaluateExecutionCondition(null);

        assertThat(result.isDisabled()).isTrue();
        assertThat(result.getReason()).hasValueSatisfying(r -> assertThat(r).startsWith("Docker not available"));
    }

    @Test
    void theRealTimescaleClassIsSkippedHereOrPassesWhereDockerRuns() {
        Events containers = EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(TimescalePairIT.class))
                .execute()
                .containerEvents();

        if (DockerClientFactory.instance().isDockerAvailable()) {
            containers.assertStatistics(stats -> stats.skipped(0).failed(0));
        } else {
            containers.assertThatEvents().haveExactly(1,
                    event(container(TimescalePairIT.class), skippedWithReason(r -> r.startsWith("Docker not available"))));
        }
    }
}
