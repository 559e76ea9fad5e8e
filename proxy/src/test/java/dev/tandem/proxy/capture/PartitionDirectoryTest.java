package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The catalog answer's indexes, read at each write of a session whose search_path the proxy cannot follow. */
class PartitionDirectoryTest {

    private static final TableName ROOT = new TableName("public", "ev");
    private static final TableName PARTITION = new TableName("public", "ev_2026");
    private static final TableName TENANT_PARTITION = new TableName("tenant", "ev_2026");
    private static final TableName TENANT_EV = new TableName("tenant", "ev");
    private static final TableName PLAIN = new TableName("app", "plain");

    private final PartitionDirectory.Partitions known = new PartitionDirectory.Partitions(
            Map.of(PARTITION, ROOT, TENANT_PARTITION, TENANT_EV), Set.of(ROOT, TENANT_EV, PLAIN));

    @Test
    void theRelationsOfANameAreThoseOfEverySchemaPartitionsIncluded() {
        assertThat(known.named("ev")).containsExactlyInAnyOrder(ROOT, TENANT_EV);
        assertThat(known.named("ev_2026")).containsExactlyInAnyOrder(PARTITION, TENANT_PARTITION);
        assertThat(known.named("plain")).containsExactly(PLAIN);
        assertThat(known.named("missing")).isEmpty();
    }

    @Test
    void aSchemaHasTablesWhenItHoldsATableOrAPartition() {
        PartitionDirectory.Partitions onlyPartitions =
                new PartitionDirectory.Partitions(Map.of(new TableName("parts", "p1"), ROOT), Set.of(ROOT));
        assertThat(known.hasTableIn("app")).isTrue();
        assertThat(known.hasTableIn("tenant")).isTrue();
        assertThat(known.hasTableIn("nobody")).isFalse();
        assertThat(onlyPartitions.hasTableIn("parts")).isTrue();
    }

    @Test
    void answersWithTheSameRelationsAreEqualAnswers() {
        assertThat(known).isEqualTo(new PartitionDirectory.Partitions(
                Map.of(TENANT_PARTITION, TENANT_EV, PARTITION, ROOT), Set.of(PLAIN, TENANT_EV, ROOT)))
                .hasSameHashCodeAs(new PartitionDirectory.Partitions(
                        Map.of(TENANT_PARTITION, TENANT_EV, PARTITION, ROOT), Set.of(PLAIN, TENANT_EV, ROOT)));
        assertThat(known).isNotEqualTo(new PartitionDirectory.Partitions(Map.of(PARTITION, ROOT),
                Set.of(ROOT, TENANT_EV, PLAIN)));
    }
}
