package dev.tandem.protocol.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TandemSchemaTest {

    @Test
    void everyStatementIsIdempotentAndRunsUnderTheSchemaLock() {
        String[] statements = TandemSchema.ddl().split(";\n");
        assertThat(statements).hasSize(11);
        assertThat(statements[0]).isEqualTo(TandemSchema.LOCK);
        assertThat(TandemSchema.ADD_SPOOL_EPOCH).startsWith("DO $tandem$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_attribute");
        assertThat(Arrays.stream(statements).skip(1)).allMatch(s -> s.contains(" IF NOT EXISTS "));
    }

    @Test
    void sharedTablesHaveTheColumnsBothToolsUse() {
        assertThat(TandemSchema.CREATE_DUAL_WRITE).contains("database text PRIMARY KEY", "first_mirrored_at timestamptz",
                "marked_at timestamptz", "marked_by text");
        assertThat(TandemSchema.CREATE_DIVERGENCE).contains("id bigserial PRIMARY KEY",
                "recorded_at timestamptz NOT NULL DEFAULT now()", "instance_id text", "time_column text",
                "range_start text", "range_end text", "repaired_at timestamptz", "settled_by text", "recorded_until timestamptz",
                "ledgered_at timestamptz DEFAULT now()");
        assertThat(TandemSchema.CREATE_MIRROR_PROGRESS).contains("instance_id text PRIMARY KEY",
                "caught_up_to timestamptz");
        assertThat(TandemSchema.ADD_SPOOL_EPOCH).contains("spool_epoch bigint");
        assertThat(TandemSchema.ADD_STOPPED_AT).contains("'tandem.mirror_progress'::regclass", "stopped_at timestamptz");
        assertThat(TandemSchema.ADD_SETTLED_BY).contains("'tandem.divergence'::regclass", "settled_by text");
        assertThat(TandemSchema.ADD_RECORDED_UNTIL).contains("'tandem.divergence'::regclass", "recorded_until timestamptz");
        assertThat(TandemSchema.ADD_LEDGERED_AT).contains("'tandem.divergence'::regclass", "ledgered_at timestamptz;",
                "SET DEFAULT now()");
    }
}
