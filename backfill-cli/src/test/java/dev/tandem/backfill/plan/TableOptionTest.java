package dev.tandem.backfill.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TableOptionTest {

    @Test
    void schemaDefaultsToPublicAndNamesFoldLikePostgres() {
        TableOption t = TableOption.parse("Metrics:Time");
        assertThat(t).isEqualTo(new TableOption("public", "metrics", "time", null));
    }

    @Test
    void quotedNamesMayContainDotsAndColons() {
        TableOption t = TableOption.parse("\"My.Schema\".\"a:b\":\"Ts\":6h");
        assertThat(t.schema()).isEqualTo("My.Schema");
        assertThat(t.table()).isEqualTo("a:b");
        assertThat(t.timeColumn()).isEqualTo("Ts");
        assertThat(t.slice().micros()).isEqualTo(6 * 3_600_000_000L);
    }

    @Test
    void aMissingTimeColumnIsExplainedWithTheSchemaOptional() {
        assertThatThrownBy(() -> TableOption.parse("public.metrics")).hasMessage("--table needs"
                + " [schema.]table:timecol[:slice] (the schema defaults to public), got 'public.metrics'");
        assertThatThrownBy(() -> TableOption.parse("db.public.metrics:t"))
                .hasMessageContaining("[schema.]table:timecol[:slice]");
    }
}
