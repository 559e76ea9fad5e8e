package dev.tandem.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.protocol.sql.StatementClassifier;
import dev.tandem.protocol.sql.TableName;
import dev.tandem.proxy.config.TableFilter;
import dev.tandem.proxy.config.TablePattern;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A prepared statement's table as its executions resolve it, against a catalog the test refreshes: path
 * {@code early, public}, both {@code readings} tables mirrored. (SessionCaptureIT shows against a real source which
 * table a named statement writes.)
 */
class PreparedTableTest {

    private static final TableName WRITTEN = new TableName(null, "readings");
    private static final TableName PUBLIC = new TableName("public", "readings");
    private static final TableName EARLY = new TableName("early", "readings");

    private final AtomicReference<PartitionDirectory.Partitions> catalog = new AtomicReference<>();
    private final AtomicLong version = new AtomicLong();
    private final MirroredTables tables = new MirroredTables(new TableFilter(List.of(TablePattern.parse(
            "public.readings"), TablePattern.parse("early.readings"), TablePattern.parse("late.alerts")), List.of()),
            Set::of, catalog::get,
            version::get);
    private final SessionNames names = new SessionNames(tables, "app", null);

    PreparedTableTest() {
        names.established(List.of("early", "public"));
    }

    /** The catalog as a refresh finds it, with these tables. */
    private void refreshed(TableName... tables) {
        catalog.set(new PartitionDirectory.Partitions(Map.of(), Set.of(tables)));
        version.incrementAndGet();
    }

    /** The session completed {@code sql}. */
    private void completed(String sql) {
        names.completed(StatementClassifier.classify(sql).get(0), sql);
    }

    private void setPath(String schemas) {
        completed("SET search_path = " + schemas);
    }

    private PreparedTable parsed() {
        long at = version.get();
        TableName name = names.resolve(WRITTEN);
        return new PreparedTable(names, tables, name, name, at);
    }

    @Test
    void aNamedStatementWhoseTableIsStillThereWhenAnotherComesFirstIsAmbiguousUntilItsPathChanges() {
        refreshed(PUBLIC);
        PreparedTable p = parsed();
        assertThat(p.resolve(names, tables, WRITTEN, true)).isEqualTo(PUBLIC);
        refreshed(PUBLIC, EARLY);
        assertThat(p.resolve(names, tables, WRITTEN, true)).as("ledgered as the table it was").isEqualTo(PUBLIC);
        assertThat(p.ambiguous()).contains("public.readings", "early.readings", "cannot tell which");
        refreshed(PUBLIC, EARLY, new TableName("public", "other"));
        assertThat(p.ambiguous()).as("not decided by another change of the catalog").isNotNull();
        // a SET search_path makes the source parse it again: certain
        setPath("public, early");
        assertThat(p.resolve(names, tables, WRITTEN, true)).isEqualTo(PUBLIC);
        setPath("early, public");
        assertThat(p.resolve(names, tables, WRITTEN, true)).isEqualTo(EARLY);
        assertThat(p.ambiguous()).isNull();
    }

    @Test
    void aNamedStatementWhoseTableIsGoneTakesTheNewOne() {
        refreshed(PUBLIC);
        PreparedTable p = parsed();
        refreshed(EARLY); // DROP TABLE public.readings invalidated the source's plan
        assertThat(p.resolve(names, tables, WRITTEN, true)).isEqualTo(EARLY);
        assertThat(p.ambiguous()).isNull();
    }

    /**
     * The session's own DDL is like a change of the catalog: a table created before the named statement's keeps the
     * plan as it was (ambiguous), while dropping the statement's own table makes the source plan it again; an unnamed
     * statement takes the new answer at once.
     */
    @Test
    void theTransactionsOwnDdlIsLaidOverTheCatalog() {
        refreshed(PUBLIC);
        PreparedTable named = parsed();
        PreparedTable unnamed = parsed();
        completed("CREATE TABLE early.readings (v int)");
        assertThat(unnamed.resolve(names, tables, WRITTEN, false)).isEqualTo(EARLY);
        assertThat(named.resolve(names, tables, WRITTEN, true)).isEqualTo(PUBLIC);
        assertThat(named.ambiguous()).contains("DDL through the proxy");
        completed("DROP TABLE public.readings");
        assertThat(named.resolve(names, tables, WRITTEN, true)).isEqualTo(EARLY);
        assertThat(named.ambiguous()).isNull();
        names.transactionEnded(false);
        assertThat(unnamed.resolve(names, tables, WRITTEN, false)).as("rolled back").isEqualTo(PUBLIC);
    }

    @Test
    void anUnnamedStatementOrANameTheCatalogDidNotHaveTakesTheNewAnswer() {
        refreshed(PUBLIC);
        PreparedTable unnamed = parsed();
        refreshed(PUBLIC, EARLY);
        assertThat(unnamed.resolve(names, tables, WRITTEN, false)).isEqualTo(EARLY);
        assertThat(unnamed.ambiguous()).isNull();

        catalog.set(null); // not looked up yet: a guess, the first mirrored schema along the path
        version.incrementAndGet();
        PreparedTable guessed = parsed();
        refreshed(PUBLIC);
        assertThat(guessed.resolve(names, tables, WRITTEN, true)).isEqualTo(PUBLIC);
        assertThat(guessed.ambiguous()).isNull();
    }

    @Test
    void nothingIsResolvedAgainWhileNothingChanged() {
        refreshed(PUBLIC);
        PreparedTable p = parsed();
        catalog.set(new PartitionDirectory.Partitions(Map.of(), Set.of(EARLY))); // unseen without a new version
        assertThat(p.resolve(names, tables, WRITTEN, true)).isEqualTo(PUBLIC);
        setPath("public");
        assertThat(p.resolve(names, tables, WRITTEN, true)).as("the path changed").isEqualTo(PUBLIC);
        setPath("early, public");
        assertThat(p.resolve(names, tables, WRITTEN, true)).isEqualTo(EARLY);
    }

    /**
     * While the path is not known (a set_config changed it), a name that means no mirrored table under the last path
     * known is resolved again to a mirrored table of its name elsewhere: the write may have gone there, and is ledgered
     * for it rather than lost.
     */
    @Test
    void aPathNotKnownResolvesTheNameAgainToAMirroredTableOfItsNameElsewhere() {
        TableName written = new TableName(null, "alerts");
        TableName late = new TableName("late", "alerts");
        refreshed(PUBLIC, late);
        long at = version.get();
        TableName name = names.resolve(written);
        assertThat(tables.isMirrored(name)).isFalse();
        PreparedTable p = new PreparedTable(names, tables, name, null, at);
        completed("SELECT set_config('search_path', 'late', false)");
        assertThat(p.resolve(names, tables, written, true)).isEqualTo(late);
        assertThat(names.unreplayable(written)).contains("search_path", "not known", "set_config");
        assertThat(names.unreplayable(late)).as("a qualified name").isNull();
        setPath("late");
        assertThat(p.resolve(names, tables, written, true)).isEqualTo(late);
        assertThat(names.unreplayable(written)).isNull();
    }
}
