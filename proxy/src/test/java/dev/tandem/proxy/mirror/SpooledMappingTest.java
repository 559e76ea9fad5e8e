package dev.tandem.proxy.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.proxy.capture.CapturedTransaction;
import dev.tandem.proxy.capture.TransactionCodec;
import dev.tandem.proxy.spool.FsyncPolicy;
import dev.tandem.proxy.spool.OnFull;
import dev.tandem.proxy.spool.Spool;
import dev.tandem.proxy.spool.SpoolException;
import dev.tandem.proxy.spool.SpoolPosition;
import dev.tandem.proxy.spool.SpoolRecord;
import dev.tandem.proxy.spool.SpoolSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpooledMappingTest {

    private static final String INSTANCE = "tandem";

    @TempDir
    Path dir;

    private Spool open() {
        return Spool.open(new SpoolSettings(dir, 1L << 20, 64L << 10, FsyncPolicy.NEVER, Duration.ofSeconds(1),
                OnFull.BLOCK), INSTANCE);
    }

    private static SpoolPosition append(Spool spool, String database) {
        return spool.writer().append(TransactionCodec.encode(new CapturedTransaction(database, "writer", 1, List.of(),
                1L, List.of()))).join();
    }

    private static AppliedMarks.Content noMarks() {
        return new AppliedMarks.Content(INSTANCE, Map.of(), null, Set.of(), null, Map.of());
    }

    /** The notes of an applier that applied everything before {@code position} in every database. */
    private static AppliedMarks.Content appliedBefore(Spool spool, SpoolPosition position) {
        return new AppliedMarks.Content(INSTANCE, Map.of(), AppliedMarks.Acknowledged.at(spool, position), Set.of(),
                null, Map.of());
    }

    @Test
    void aSourceDatabaseChangesWhenItsEffectiveTargetDoes() {
        assertThat(SpooledMapping.changed(Map.of(), Map.of("app", "app2"))).containsExactly("app");
        assertThat(SpooledMapping.changed(Map.of("app", "app2"), Map.of())).containsExactly("app");
        assertThat(SpooledMapping.changed(Map.of("app", "app"), Map.of())).isEmpty();
        assertThat(SpooledMapping.changed(Map.of("a", "x", "b", "y"), Map.of("a", "x", "b", "z")))
                .containsExactly("b");
    }

    @Test
    void anOldTargetIsLeftBehindWhenNoSourceDatabaseIsSentThereAnyMore() {
        assertThat(SpooledMapping.leftBehind(Map.of("app", "old"), Map.of("app", "new"), Set.of("app")))
                .containsExactly("old");
        assertThat(SpooledMapping.leftBehind(Map.of(), Map.of("app", "new"), Set.of("app"))).containsExactly("app");
        assertThat(SpooledMapping.leftBehind(Map.of("a", "x", "b", "x"), Map.of("a", "y", "b", "x"), Set.of("a")))
                .isEmpty();
        assertThat(SpooledMapping.leftBehind(Map.of("a", "x"), Map.of("a", "y", "z", "x"), Set.of("a"))).isEmpty();
    }

    @Test
    void theFileKeepsWhatWasSaved() {
        try (Spool spool = open()) {
            assertThat(SpooledMapping.load(spool)).isEmpty();
            SpooledMapping.Content content = new SpooledMapping.Content(Map.of("app", "new"), Map.of("app", 42L),
                    Set.of("old"));
            SpooledMapping.save(spool, content);
            assertThat(SpooledMapping.load(spool)).contains(content);
        }
        assertThat(dir.resolve(SpooledMapping.FILE + ".tmp")).doesNotExist();
    }

    @Test
    void anUnreadableFileIsRefusedWithItsName() throws Exception {
        try (Spool spool = open()) {
            Files.writeString(dir.resolve(SpooledMapping.FILE), "{not json", StandardCharsets.UTF_8);
            assertThatThrownBy(() -> SpooledMapping.adopt(spool, Map.of(), noMarks()))
                    .isInstanceOf(SpoolException.class).hasMessageContaining(SpooledMapping.FILE)
                    .hasMessageContaining("cannot be read");
        }
    }

    @Test
    void aDirectoryWithoutTheFileTakesTheConfiguredMapping() {
        try (Spool spool = open()) {
            append(spool, "app");
            SpooledMapping.Content adopted = SpooledMapping.adopt(spool, Map.of("app", "new"), noMarks());
            assertThat(adopted).isEqualTo(new SpooledMapping.Content(Map.of("app", "new"), Map.of(), Set.of()));
        }
    }

    @Test
    void aChangeWithRecordsTheOldTargetHasNotAppliedIsRefusedNamingThem() {
        try (Spool spool = open()) {
            SpooledMapping.save(spool, new SpooledMapping.Content(Map.of("app", "old"), Map.of(), Set.of()));
            append(spool, "app");
            append(spool, "other");
            append(spool, "app");
            append(spool, "other");
            // app's first record applied, its second not
            AppliedMarks.Content marks = appliedBefore(spool, held(spool).get(0).next());
            assertThatThrownBy(() -> SpooledMapping.adopt(spool, Map.of("app", "new"), marks))
                    .isInstanceOf(MappingChangedException.class)
                    .hasMessageContaining("source database 'app' was mirrored into target database 'old' and"
                            + " target.databases now sends it to 'new', but 1 of its transactions")
                    .hasMessageContaining("target.databases.app=old")
                    .hasMessageContaining("move or empty " + dir.toAbsolutePath());
            assertThat(SpooledMapping.load(spool).orElseThrow().databases()).isEqualTo(Map.of("app", "old"));
            // the other database's records do not matter
            assertThat(SpooledMapping.adopt(spool, Map.of("app", "new"), appliedBefore(spool,
                    held(spool).get(2).next())).settledBefore()).containsOnlyKeys("app");
        }
    }

    @Test
    void withoutTheApplierNotesTheProxyCannotTellAndRefuses() {
        try (Spool spool = open()) {
            SpooledMapping.save(spool, new SpooledMapping.Content(Map.of(), Map.of(), Set.of()));
            append(spool, "app");
            assertThatThrownBy(() -> SpooledMapping.adopt(spool, Map.of("app", "new"), noMarks()))
                    .isInstanceOf(MappingChangedException.class)
                    .hasMessageContaining("'app' was mirrored into target database 'app'");
        }
    }

    @Test
    void aChangeWithEverythingAppliedSettlesTheHeldRecordsAndSurvivesRestarts() {
        try (Spool spool = open()) {
            SpooledMapping.save(spool, new SpooledMapping.Content(Map.of("app", "old"), Map.of(), Set.of()));
            append(spool, "app");
            append(spool, "other");
            append(spool, "app");
        }
        long switched;
        try (Spool spool = open()) {
            // the applier's reader passed every record; only 'other' was parked, before its record
            List<SpoolRecord> records = held(spool);
            AppliedMarks.Content marks = new AppliedMarks.Content(INSTANCE, Map.of(), null, Set.of(),
                    AppliedMarks.Reached.at(spool, records.get(2).next(), 3),
                    Map.of("other", AppliedMarks.Reached.at(spool, records.get(1).position(), 1)));
            assertThatThrownBy(() -> SpooledMapping.adopt(spool, Map.of("other", "elsewhere"), marks))
                    .isInstanceOf(MappingChangedException.class).hasMessageContaining("'other'");
            SpooledMapping.Content adopted = SpooledMapping.adopt(spool, Map.of("app", "new"), marks);
            switched = spool.currentEpoch();
            assertThat(adopted).isEqualTo(new SpooledMapping.Content(Map.of("app", "new"), Map.of("app", switched),
                    Set.of("old")));
            SpooledMapping.save(spool, adopted);
            assertThat(records).allMatch(r -> spool.ofEarlierEpoch(r.position(), switched));
            assertThat(spool.ofEarlierEpoch(append(spool, "app"), switched)).isFalse();
        }
        try (Spool spool = open()) {
            // unchanged since: nothing to check, and the settled records stay settled while the spool holds them
            SpooledMapping.Content adopted = SpooledMapping.adopt(spool, Map.of("app", "new"), noMarks());
            assertThat(adopted.settledBefore()).isEqualTo(Map.of("app", switched));
            // a second change counts the settled records as applied, and the one appended since as waiting for 'new'
            assertThatThrownBy(() -> SpooledMapping.adopt(spool, Map.of("app", "newer"), noMarks()))
                    .isInstanceOf(MappingChangedException.class)
                    .hasMessageContaining("target database 'new' and target.databases now sends it to 'newer', but 1"
                            + " of its transactions");
        }
    }

    @Test
    void aSettledEpochIsForgottenWithItsRecords() {
        try (Spool spool = open()) {
            SpooledMapping.save(spool, new SpooledMapping.Content(Map.of("app", "new"), Map.of("app", 12345L),
                    Set.of()));
            assertThat(SpooledMapping.adopt(spool, Map.of("app", "new"), noMarks()).settledBefore()).isEmpty();
        }
    }

    private static List<SpoolRecord> held(Spool spool) {
        List<SpoolRecord> records = new ArrayList<>();
        spool.forEachHeld(records::add);
        return records;
    }
}
