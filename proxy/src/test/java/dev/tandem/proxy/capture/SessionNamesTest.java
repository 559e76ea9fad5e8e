package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.StatementClassifier;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.config.TableFilter;
import dev.tandem.proxy.config.TablePattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What a session's unqualified names resolve by, kept with a name resolved ahead of its execution. */
class SessionNamesTest {

    private final SessionNames names = new SessionNames(new MirroredTables(TableFilter.allHypertables(), Set::of,
            () -> null, () -> 0), "app", null);

    SessionNamesTest() {
        names.established(List.of("public"));
    }

    private void completed(String sql) {
        names.completed(StatementClassifier.classify(sql).get(0), sql);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "SET search_path TO tenant_a, public|true",
        "set local \"search_path\" = tenant_a|true",
        "RESET search_path|true",
        "SET SCHEMA 'tenant_a'|true",
        "SET ROLE tenant_a|true",
        "RESET ROLE|true",
        "SET SESSION AUTHORIZATION tenant_a|true",
        "RESET SESSION AUTHORIZATION|true",
        "RESET ALL|true",
        "DISCARD ALL|true",
        "SELECT set_config('search_path', 'tenant_a', false)|true",
        "DO $$ BEGIN PERFORM 1; END $$|true",
        "CALL refresh()|true",
        "CREATE TABLE metrics (ts timestamptz)|true",
        "ROLLBACK|true",
        "SET statement_timeout = 0|false",
        "SET LOCAL lock_timeout TO '1s'|false",
        "SET TIME ZONE 'UTC'|false",
        "SET application_name = 'app'|false",
        "RESET work_mem|false",
        "INSERT INTO metrics VALUES (1)|false",
        "COMMIT|false",
    })
    void tellsTheStatementsThatMayChangeWhatANameMeans(String sql, boolean changes) {
        assertThat(SessionNames.mayChange(StatementClassifier.classify(sql).get(0), sql)).as(sql).isEqualTo(changes);
    }

    @Test
    void theScopeIsOneInstanceWhileNothingChanges() {
        NameScope scope = names.scope();
        assertThat(scope).isEqualTo(new NameScope(names.searchPath(), Set.of(), "app", RelationOverlay.NONE));
        completed("INSERT INTO readings VALUES (1)");
        assertThat(names.scope()).isSameAs(scope);
        assertThat(names.unchangedSince(scope)).isTrue();
    }

    @Test
    void aNewSearchPathTemporaryTableOrUserChangesIt() {
        NameScope before = names.scope();
        completed("SET search_path = other, public");
        assertThat(names.unchangedSince(before)).as("another path").isFalse();
        completed("SET search_path = public");
        assertThat(names.unchangedSince(before)).as("the same path set again").isTrue();
        completed("CREATE TEMPORARY TABLE readings (v int)");
        assertThat(names.unchangedSince(before)).as("a temporary table").isFalse();
        completed("DROP TABLE readings");
        assertThat(names.unchangedSince(before)).as("dropped again").isTrue();
        completed("SET ROLE reporter");
        assertThat(names.unchangedSince(before)).as("another user").isFalse();
        assertThat(names.scope().currentUser()).isEqualTo("reporter");
    }

    @Test
    void aScopeNotKeptIsNeverTheSame() {
        assertThat(names.unchangedSince(null)).isFalse();
    }

    /**
     * A session with path {@code tenant, public} over a source catalog that has {@code public.metrics} (mirrored) and
     * the schemas {@code public}, {@code tenant} and {@code archive}: the transaction's DDL, laid over it.
     */
    private static final class Tenant {
        static final TableName WRITTEN = new TableName(null, "metrics");
        static final TableName PUBLIC = new TableName("public", "metrics");
        static final TableName TENANT = new TableName("tenant", "metrics");

        final List<RelationOverlay> committed = new ArrayList<>();
        final SessionNames names;

        Tenant(Set<TableName> tables, Set<String> schemas) {
            MirroredTables mirrored = new MirroredTables(new TableFilter(List.of(TablePattern.parse("public.metrics")),
                    List.of()), Set::of, () -> new PartitionDirectory.Partitions(Map.of(), Set.of(PUBLIC)))
                    .withSourceTables(() -> new SourceRelations.Relations(tables, schemas), () -> RelationOverlay.NONE,
                            committed::add, () -> { });
            names = new SessionNames(mirrored, "app", null);
            names.established(List.of("tenant", "public"));
        }

        Tenant() {
            this(Set.of(PUBLIC), Set.of("public", "tenant", "archive"));
        }

        void completed(String sql) {
            names.completed(StatementClassifier.classify(sql).get(0), sql);
        }

        TableName metrics() {
            return names.resolve(WRITTEN);
        }
    }

    @Test
    void aTableTheTransactionCreatesComesFirstUntilRolledBack() {
        Tenant t = new Tenant();
        assertThat(t.metrics()).isEqualTo(Tenant.PUBLIC);
        NameScope before = t.names.scope();
        t.names.savepoint("s");
        t.completed("CREATE TABLE tenant.metrics (LIKE public.metrics)");
        assertThat(t.metrics()).isEqualTo(Tenant.TENANT);
        assertThat(t.names.unchangedSince(before)).isFalse();
        assertThat(t.names.scope().sameSettings(before)).as("path, tables and user as they were").isTrue();
        assertThat(t.names.resolve(Tenant.PUBLIC)).as("a qualified name as written").isEqualTo(Tenant.PUBLIC);
        t.names.rollbackTo("s");
        assertThat(t.metrics()).isEqualTo(Tenant.PUBLIC);
        assertThat(t.names.unchangedSince(before)).isTrue();
        t.completed("CREATE TABLE metrics (LIKE public.metrics)");
        assertThat(t.metrics()).as("unqualified: in the first schema of the path").isEqualTo(Tenant.TENANT);
        assertThat(t.names.unreplayable(Tenant.WRITTEN)).isNull();
        t.names.transactionEnded(false);
        assertThat(t.metrics()).isEqualTo(Tenant.PUBLIC);
        assertThat(t.committed).isEmpty();
    }

    @Test
    void dropRenameAndSetSchemaMoveTheName() {
        Tenant t = new Tenant(Set.of(Tenant.PUBLIC, Tenant.TENANT), Set.of("public", "tenant", "archive"));
        assertThat(t.metrics()).isEqualTo(Tenant.TENANT);
        t.completed("ALTER TABLE metrics RENAME TO metrics_old");
        assertThat(t.metrics()).isEqualTo(Tenant.PUBLIC);
        t.completed("ALTER TABLE tenant.metrics_old RENAME TO metrics");
        assertThat(t.metrics()).isEqualTo(Tenant.TENANT);
        t.completed("ALTER TABLE metrics SET SCHEMA archive");
        assertThat(t.metrics()).isEqualTo(Tenant.PUBLIC);
        t.completed("ALTER TABLE archive.metrics SET SCHEMA tenant");
        assertThat(t.metrics()).isEqualTo(Tenant.TENANT);
        t.completed("DROP TABLE IF EXISTS tenant.metrics, other");
        assertThat(t.metrics()).isEqualTo(Tenant.PUBLIC);
        assertThat(t.names.unreplayable(Tenant.WRITTEN)).isNull();
        assertThat(t.names.unreplayable(new TableName(null, "other"))).as("dropped, the proxy knows not where")
                .contains("DROP TABLE");
        t.names.transactionEnded(true);
        assertThat(t.committed).singleElement().satisfies(ddl -> {
            assertThat(ddl.table(Tenant.TENANT)).isFalse();
            assertThat(ddl.table(new TableName("archive", "metrics"))).isFalse();
        });
    }

    @Test
    void aDroppedSchemaTakesItsTablesAlong() {
        Tenant t = new Tenant(Set.of(Tenant.PUBLIC, Tenant.TENANT), Set.of("public", "tenant"));
        t.completed("DROP SCHEMA tenant CASCADE");
        assertThat(t.metrics()).isEqualTo(Tenant.PUBLIC);
        t.completed("CREATE SCHEMA tenant");
        t.completed("CREATE TABLE IF NOT EXISTS metrics (v int)");
        assertThat(t.metrics()).isEqualTo(Tenant.TENANT);
    }

    @Test
    void aCreateThatCannotBePlacedMakesItsNameUnreplayable() {
        // tenant is not among the source's schemas: the CREATE, completed, cannot have gone to public, which has it
        Tenant t = new Tenant(Set.of(Tenant.PUBLIC), Set.of("public"));
        t.completed("CREATE TABLE metrics (v int)");
        assertThat(t.metrics()).as("ledgered under the catalog's table").isEqualTo(Tenant.PUBLIC);
        assertThat(t.names.unreplayable(Tenant.WRITTEN)).contains("CREATE TABLE metrics", "tenant, public");
        assertThat(t.names.unreplayable(new TableName(null, "other"))).isNull();
        assertThat(t.names.unreplayable(Tenant.PUBLIC)).as("qualified").isNull();
        t.completed("DROP TABLE metrics");
        assertThat(t.names.unreplayable(Tenant.WRITTEN)).as("which one it dropped cannot be told either").isNotNull();
        t.names.transactionEnded(true);
        assertThat(t.names.unreplayable(Tenant.WRITTEN)).as("the recent commits' now").isNull();
        assertThat(t.committed).singleElement().satisfies(ddl -> assertThat(ddl.uncertainty("metrics")).isNotNull());
    }

    @Test
    void ddlThatNamesNoTableMakesEveryUnqualifiedNameUnreplayable() {
        Tenant t = new Tenant();
        t.completed("DROP OWNED BY someone");
        assertThat(t.names.unreplayable(Tenant.WRITTEN)).contains("DROP OWNED BY");
        assertThat(t.names.unreplayable(new TableName(null, "other"))).isNotNull();
        assertThat(t.names.unreplayable(Tenant.PUBLIC)).isNull();
    }

    @Test
    void temporaryTablesStayOutOfTheRelationDdl() {
        Tenant t = new Tenant();
        t.completed("CREATE TEMP TABLE metrics (v int)");
        t.completed("DROP TABLE metrics");
        assertThat(t.names.scope().relations()).isSameAs(RelationOverlay.NONE);
        t.names.transactionEnded(true);
        assertThat(t.committed).isEmpty();
    }
}
