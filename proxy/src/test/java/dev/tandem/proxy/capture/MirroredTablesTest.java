package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.capture.MirroredTables.Mirroring;
import dev.tandem.proxy.config.TableFilter;
import dev.tandem.proxy.config.TablePattern;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class MirroredTablesTest {

    private static final TableFilter FILTER = new TableFilter(List.of(TablePattern.parse("public.ev")),
            List.of(TablePattern.parse("public.ev_skip")));

    private static TableName t(String name) {
        return new TableName("public", name);
    }

    @Test
    void aPartitionFollowsTheRootOfItsTreeUnlessExcludedAndANameTheCatalogDidNotHaveIsLeftToTheTarget() {
        AtomicReference<PartitionDirectory.Partitions> known = new AtomicReference<>();
        MirroredTables tables = new MirroredTables(FILTER, Set::of, known::get);
        assertThat(tables.mirroring(t("ev_2026_01"))).isEqualTo(Mirroring.UNCONFIRMED); // not looked up yet
        assertThat(tables.mirroring(t("ev_skip"))).isEqualTo(Mirroring.NOT_MIRRORED);

        known.set(new PartitionDirectory.Partitions(Map.of(t("ev_2026"), t("ev"), t("ev_2026_01"), t("ev"),
                t("ev_skip"), t("ev"), t("other_1"), t("other")), Set.of(t("ev"), t("other"), t("plain"))));
        assertThat(tables.mirroring(t("ev"))).isEqualTo(Mirroring.MIRRORED);
        assertThat(tables.mirroring(t("ev_2026"))).isEqualTo(Mirroring.MIRRORED);
        assertThat(tables.mirroring(t("ev_2026_01"))).isEqualTo(Mirroring.MIRRORED); // a sub-partition
        assertThat(tables.mirroring(t("ev_skip"))).isEqualTo(Mirroring.NOT_MIRRORED);
        assertThat(tables.mirroring(t("other_1"))).isEqualTo(Mirroring.NOT_MIRRORED);
        assertThat(tables.mirroring(t("plain"))).isEqualTo(Mirroring.NOT_MIRRORED);
        assertThat(tables.mirroring(t("created_since"))).isEqualTo(Mirroring.UNCONFIRMED);
    }

    @Test
    void aPartitionHoldsTheRowsOfTheRootOfItsTreeOnceTheCatalogIsKnown() {
        AtomicReference<PartitionDirectory.Partitions> known = new AtomicReference<>();
        MirroredTables tables = new MirroredTables(FILTER, Set::of, known::get);
        assertThat(tables.rowsOf(t("ev_2026_01"))).isEqualTo(t("ev_2026_01")); // not looked up yet
        known.set(new PartitionDirectory.Partitions(Map.of(t("ev_2026"), t("ev"), t("ev_2026_01"), t("ev")),
                Set.of(t("ev"), t("plain"))));
        assertThat(tables.rowsOf(t("ev_2026_01"))).isEqualTo(t("ev"));
        assertThat(tables.rowsOf(t("ev"))).isEqualTo(t("ev"));
        assertThat(tables.rowsOf(t("plain"))).isEqualTo(t("plain"));
        assertThat(new MirroredTables(FILTER, Set::of).rowsOf(t("ev_2026"))).isEqualTo(t("ev_2026"));
    }

    @Test
    void aSessionsTemporaryTableIsNeverMirroredNorLeftToTheTarget() {
        TableFilter everything = new TableFilter(List.of(TablePattern.parse("*.*")), List.of());
        MirroredTables tables = new MirroredTables(everything, Set::of,
                () -> new PartitionDirectory.Partitions(Map.of(), Set.of(t("ev"))));
        assertThat(tables.mirroring(new TableName("pg_temp", "ev"))).isEqualTo(Mirroring.NOT_MIRRORED);
        assertThat(tables.mirroring(new TableName("pg_temp_3", "ev"))).isEqualTo(Mirroring.NOT_MIRRORED);
        assertThat(tables.mirroring(t("ev"))).isEqualTo(Mirroring.MIRRORED);
    }

    /**
     * A wildcard says nothing of whether the target has a table: one its catalog does not have (yet) is left to the
     * target when replayed, as a partition is (WildcardIncludeIT); one a pattern names is mirrored regardless, and a
     * target without it refuses its rows, which are ledgered.
     */
    @Test
    void aTableOnlyAWildcardMatchesIsLeftToTheTargetUnlessItsCatalogHasIt() {
        TableFilter filter = new TableFilter(List.of(TablePattern.parse("public.*"), TablePattern.parse("s.named")),
                List.of());
        AtomicReference<PartitionDirectory.Partitions> known = new AtomicReference<>();
        MirroredTables tables = new MirroredTables(filter, Set::of, known::get);
        assertThat(tables.mirroring(t("kept"))).as("not looked up yet").isEqualTo(Mirroring.UNCONFIRMED);
        assertThat(tables.mirroring(new TableName("s", "named"))).isEqualTo(Mirroring.MIRRORED);

        known.set(new PartitionDirectory.Partitions(Map.of(), Set.of(t("kept"))));
        assertThat(tables.mirroring(t("kept"))).isEqualTo(Mirroring.MIRRORED);
        assertThat(tables.mirroring(t("source_only"))).isEqualTo(Mirroring.UNCONFIRMED);
        assertThat(tables.mirroring(new TableName("s", "named"))).isEqualTo(Mirroring.MIRRORED);
        assertThat(new MirroredTables(filter, Set::of).mirroring(t("source_only")))
                .as("without the target's catalog the patterns alone decide").isEqualTo(Mirroring.MIRRORED);
    }

    @Test
    void aTimescaleChunkWrittenByItsOwnNameIsLeftToItsHypertableUnlessExcluded() {
        TableName chunk = new TableName("_timescaledb_internal", "_hyper_1_2_chunk");
        assertThat(new MirroredTables(TableFilter.allHypertables(), () -> Set.of(t("ev"))).mirroring(chunk))
                .isEqualTo(Mirroring.UNCONFIRMED);
        assertThat(new MirroredTables(FILTER, Set::of).mirroring(chunk)).isEqualTo(Mirroring.UNCONFIRMED);
        assertThat(new MirroredTables(FILTER, Set::of).mirroring(
                new TableName("custom", "_dist_hyper_12_345_chunk"))).isEqualTo(Mirroring.UNCONFIRMED);
        TableFilter excluding = new TableFilter(List.of(), List.of(TablePattern.parse("_timescaledb_internal.*")));
        assertThat(new MirroredTables(excluding, () -> Set.of(t("ev"))).mirroring(chunk))
                .isEqualTo(Mirroring.NOT_MIRRORED);
        // included by name: replayed by name
        TableFilter byName = new TableFilter(List.of(TablePattern.parse("_timescaledb_internal._hyper_1_2_chunk")),
                List.of());
        assertThat(new MirroredTables(byName, Set::of).mirroring(chunk)).isEqualTo(Mirroring.MIRRORED);
        // named like one, but not a chunk name: the usual rules
        assertThat(new MirroredTables(FILTER, Set::of).mirroring(t("_hyper_1_chunk"))).isEqualTo(Mirroring.NOT_MIRRORED);
        assertThat(new MirroredTables(FILTER, Set::of).mirroring(t("compress_hyper_2_3_chunk")))
                .isEqualTo(Mirroring.NOT_MIRRORED);
    }

    /** A hypertable created with its own associated_table_prefix and schema, as the target's catalog says. */
    @Test
    void aChunkWithItsHypertablesOwnPrefixIsLeftToItsHypertableLikeOneOfTheDefaultForm() {
        TableName chunk = new TableName("metrics_chunks", "metrics_7_chunk");
        ChunkNames names = new ChunkNames(Set.of("metrics"), Set.of());
        PartitionDirectory.Partitions clone = new PartitionDirectory.Partitions(Map.of(), Set.of(chunk));
        assertThat(new MirroredTables(TableFilter.allHypertables(), () -> Set.of(t("ev")), () -> clone, () -> names,
                () -> 0).mirroring(chunk)).isEqualTo(Mirroring.UNCONFIRMED);
        assertThat(new MirroredTables(FILTER, Set::of, () -> clone, () -> names, () -> 0).mirroring(chunk))
                .isEqualTo(Mirroring.UNCONFIRMED);
        assertThat(new MirroredTables(FILTER, Set::of, () -> clone, () -> ChunkNames.DEFAULT, () -> 0)
                .mirroring(chunk)).as("not a chunk where the catalog has no such prefix").isEqualTo(Mirroring.NOT_MIRRORED);
        // until the chunk names are known, the target's catalog decides what the other rules do not mirror
        assertThat(new MirroredTables(FILTER, Set::of, () -> clone, () -> null, () -> 0).mirroring(chunk))
                .isEqualTo(Mirroring.UNCONFIRMED);
        assertThat(new MirroredTables(TableFilter.allHypertables(), () -> Set.of(t("ev")), () -> clone, () -> null,
                () -> 0).mirroring(chunk)).isEqualTo(Mirroring.UNCONFIRMED);
        assertThat(new MirroredTables(TableFilter.allHypertables(), () -> Set.of(t("ev")), () -> clone, () -> null,
                () -> 0).mirroring(t("ev"))).isEqualTo(Mirroring.MIRRORED);
    }

    @Test
    void withoutPartitionsTheIncludePatternsAloneDecide() {
        MirroredTables tables = new MirroredTables(FILTER, Set::of);
        assertThat(tables.mirroring(t("ev"))).isEqualTo(Mirroring.MIRRORED);
        assertThat(tables.mirroring(t("ev_2026"))).isEqualTo(Mirroring.NOT_MIRRORED);
    }

    @Test
    void anUnqualifiedNameIsTheFirstTableOfThatNameAlongThePathAsTheCatalogHasIt() {
        TableName readings = new TableName(null, "readings");
        AtomicReference<PartitionDirectory.Partitions> known = new AtomicReference<>();
        MirroredTables tables = new MirroredTables(FILTER, Set::of, known::get);
        known.set(new PartitionDirectory.Partitions(Map.of(), Set.of(t("readings"), new TableName("app", "readings"),
                new TableName("tenant", "settings"))));
        // a schema without the table is passed over, as PostgreSQL passes it over
        assertThat(tables.resolve(readings, List.of("tenant", "public"), "app")).isEqualTo(t("readings"));
        // $user is the schema named after the session's user; the default path starts with it
        assertThat(tables.resolve(readings, List.of("$user", "public"), "app"))
                .isEqualTo(new TableName("app", "readings"));
        assertThat(tables.resolve(readings, List.of(), "app")).isEqualTo(new TableName("app", "readings"));
        assertThat(tables.resolve(readings, List.of(), "other")).isEqualTo(t("readings"));
        assertThat(tables.resolve(readings, List.of(), null)).isEqualTo(t("readings"));
        assertThat(tables.resolve(readings, List.of("pg_catalog", "pg_temp", "public"), "app")).isEqualTo(t("readings"));
        // qualified: as written
        assertThat(tables.resolve(new TableName("tenant", "readings"), List.of("public"), "app"))
                .isEqualTo(new TableName("tenant", "readings"));
    }

    @Test
    void aNameTheCatalogDoesNotPlaceIsTheFirstMirroredCandidateElseTheFirstListed() {
        TableName ev = new TableName(null, "ev");
        AtomicReference<PartitionDirectory.Partitions> known = new AtomicReference<>();
        MirroredTables tables = new MirroredTables(FILTER, Set::of, known::get);
        // not looked up yet: capturing a write the source may have made into a mirrored table beats losing it
        assertThat(tables.resolve(ev, List.of("tenant", "public"), "app")).isEqualTo(t("ev"));
        assertThat(tables.resolve(new TableName(null, "x"), List.of("$user", "tenant", "public"), "app"))
                .isEqualTo(new TableName("tenant", "x"));
        // created since the look-up
        known.set(new PartitionDirectory.Partitions(Map.of(), Set.of(t("other"))));
        assertThat(tables.resolve(ev, List.of("tenant", "public"), "app")).isEqualTo(t("ev"));
        assertThat(tables.resolve(new TableName(null, "x"), List.of("tenant", "public"), null))
                .isEqualTo(new TableName("tenant", "x"));
        assertThat(tables.resolve(new TableName(null, "x"), List.of("$user"), null)).isEqualTo(t("x"));
    }

    /**
     * Before the catalog's first look-up, a pattern with a wildcard says nothing of whether the schema named after the
     * session's user exists: with {@code *.*}, writes by user postgres to {@code metrics} under the default path were
     * taken for {@code postgres.metrics}, a schema the source did not have, and warnings and metrics named it.
     */
    @Test
    void beforeTheCatalogIsKnownTheUsersSchemaIsTakenOnlyWhereAPatternNamesItsTable() {
        TableName metrics = new TableName(null, "metrics");
        TableFilter everything = new TableFilter(List.of(TablePattern.parse("*.*")), List.of());
        assertThat(new MirroredTables(everything, Set::of, () -> null).resolve(metrics, List.of(), "postgres"))
                .isEqualTo(t("metrics"));
        assertThat(new MirroredTables(everything, Set::of, () -> null)
                .resolve(metrics, List.of("$user", "tenant", "public"), "postgres"))
                .isEqualTo(new TableName("tenant", "metrics"));
        TableFilter named = new TableFilter(List.of(TablePattern.parse("postgres.metrics"),
                TablePattern.parse("public.*")), List.of());
        assertThat(new MirroredTables(named, Set::of, () -> null).resolve(metrics, List.of(), "postgres"))
                .isEqualTo(new TableName("postgres", "metrics"));
        assertThat(new MirroredTables(named, Set::of, () -> null).resolve(metrics, List.of(), "app"))
                .isEqualTo(t("metrics"));
    }

    /**
     * What an unqualified name may mean when the session's search_path is not known: a mirrored table of that name in
     * any schema, from the catalog, or before its first look-up from the include patterns that name one table.
     */
    @Test
    void aMirroredTableOfANameInAnySchemaFromTheCatalogOrBeforeItFromThePatterns() {
        TableFilter filter = new TableFilter(List.of(TablePattern.parse("tenant_b.readings"),
                TablePattern.parse("tenant_a.readings"), TablePattern.parse("*.events"),
                TablePattern.parse("\"Odd\".\"Readings\"")), List.of());
        AtomicReference<PartitionDirectory.Partitions> known = new AtomicReference<>();
        MirroredTables tables = new MirroredTables(filter, Set::of, known::get);
        assertThat(tables.mirroredNamed("readings")).isEqualTo(new TableName("tenant_a", "readings"));
        assertThat(tables.mirroredNamed("Readings")).isEqualTo(new TableName("Odd", "Readings"));
        assertThat(tables.mirroredNamed("events")).as("no pattern names one table").isNull();

        known.set(new PartitionDirectory.Partitions(Map.of(), Set.of(new TableName("tenant_b", "readings"),
                new TableName("public", "readings"), new TableName("x", "events"))));
        assertThat(tables.mirroredNamed("readings")).isEqualTo(new TableName("tenant_b", "readings"));
        assertThat(tables.mirroredNamed("events")).isEqualTo(new TableName("x", "events"));
        assertThat(tables.mirroredNamed("other")).isNull();
    }

    /**
     * With {@code source.user} the source's catalog places unqualified names, as the source does: a table created
     * there since the schema copy hides one later in the path, a table dropped there no longer hides one; the target's
     * catalog decides until the source's is known, and for a name the source's look-up did not have.
     */
    @Test
    void theSourcesCatalogPlacesAnUnqualifiedNameWhenKnown() {
        TableName readings = new TableName(null, "readings");
        TableName tenantNew = new TableName("tenant_new", "readings");
        TableName tenantOld = new TableName("tenant_old", "readings");
        AtomicReference<SourceRelations.Relations> onSource = new AtomicReference<>();
        AtomicReference<Integer> changed = new AtomicReference<>(0);
        MirroredTables tables = new MirroredTables(FILTER, Set::of,
                () -> new PartitionDirectory.Partitions(Map.of(), Set.of(t("readings"), tenantOld)))
                .withSourceTables(onSource::get, () -> RelationOverlay.NONE, changes -> { },
                        () -> changed.set(changed.get() + 1));
        List<String> newFirst = List.of("tenant_new", "public");
        List<String> oldFirst = List.of("tenant_old", "public");
        assertThat(tables.resolve(readings, newFirst, "app")).as("not known yet").isEqualTo(t("readings"));
        assertThat(tables.resolve(readings, oldFirst, "app")).isEqualTo(tenantOld);
        assertThat(tables.targetFindsAnother(tenantOld, oldFirst, "app")).isFalse();

        onSource.set(new SourceRelations.Relations(Set.of(t("readings"), tenantNew), Set.of("public", "tenant_new")));
        assertThat(tables.resolve(readings, newFirst, "app")).isEqualTo(tenantNew);
        assertThat(tables.resolve(readings, oldFirst, "app")).isEqualTo(t("readings"));
        assertThat(tables.resolve(new TableName(null, "made_since"), oldFirst, "app"))
                .as("not in the source's look-up: as the target's catalog has it").isEqualTo(new TableName("tenant_old",
                        "made_since"));
        assertThat(tables.inCatalog(tenantOld, RelationOverlay.NONE)).as("the catalog names resolve by: the source's")
                .isFalse();
        assertThat(tables.inCatalog(tenantNew, RelationOverlay.NONE)).isTrue();

        // the target would find tenant_old.readings first: the replay must write the schema out
        assertThat(tables.targetFindsAnother(t("readings"), oldFirst, "app")).isTrue();
        assertThat(tables.targetFindsAnother(t("readings"), List.of("$user", "public"), "tenant_old")).isTrue();
        assertThat(tables.targetFindsAnother(t("readings"), newFirst, "app")).isFalse();
        assertThat(tables.targetFindsAnother(tenantNew, newFirst, "app")).isFalse();

        tables.relationsChanged();
        assertThat(changed.get()).isEqualTo(1);
    }

    @Test
    void withoutTheSourcesCatalogTheTargetNeverFindsAnother() {
        MirroredTables tables = new MirroredTables(FILTER, Set::of,
                () -> new PartitionDirectory.Partitions(Map.of(), Set.of(t("readings"),
                        new TableName("tenant_old", "readings"))));
        assertThat(tables.targetFindsAnother(t("readings"), List.of("tenant_old", "public"), "app")).isFalse();
        tables.relationsChanged(); // nothing to tell
    }
}
