package dev.tandem.backfill.plan;

import dev.tandem.backfill.BackfillCommand;
import dev.tandem.backfill.Counted;
import dev.tandem.backfill.ExitCodes;
import dev.tandem.backfill.connect.ConnectionOptions;
import dev.tandem.backfill.connect.Database;
import dev.tandem.backfill.connect.Side;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code stage}: plan the work and store it on the target. */
@Command(name = "stage", mixinStandardHelpOptions = true,
        description = "Plan the backfill: one task per hypertable chunk range (TimescaleDB) or per --slice of each"
                + " --table, up to --until, after checking that the target can take the source's columns (names,"
                + " types, NOT NULL, generated and identity columns).")
public final class StageCommand extends BackfillCommand {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--until", paramLabel = "T|dual-write-start", defaultValue = Planner.DUAL_WRITE_START,
            description = "Copy rows with time < T, in the time column's type (default: ${DEFAULT-VALUE}, the mark the proxy records)")
    String until;

    @Option(names = "--from", paramLabel = "T0", description = "Copy rows with time >= T0 (default: the oldest row)")
    String from;

    @Option(names = "--integer-until", paramLabel = "N",
            description = "For tables whose time column is an integer: copy rows with time < N, in the column's own"
                    + " unit, while --until (the dual-write mark) bounds the others, so that one plan holds both")
    String integerUntil;

    @Option(names = "--integer-from", paramLabel = "N",
            description = "With --integer-until: copy rows of integer-time tables with time >= N (default: the oldest"
                    + " row); --from then bounds only the others")
    String integerFrom;

    @Option(names = "--filter", paramLabel = "REGEX",
            description = "Only tables whose schema.table matches (repeatable; found anywhere unless anchored)")
    List<Pattern> filters = new ArrayList<>();

    @Option(names = "--table", paramLabel = "[SCHEMA.]TABLE:TIMECOL[:SLICE]", converter = TableOptionConverter.class,
            description = "A plain or declaratively partitioned table to copy in slices of its time column; the schema"
                    + " defaults to public (repeatable)")
    List<TableOption> tables = new ArrayList<>();

    @Option(names = "--slice", paramLabel = "INTERVAL", defaultValue = "1 day", converter = SliceConverter.class,
            description = "Slice width for --table: a duration ('1 day', '6h') or an integer for integer time columns (default: ${DEFAULT-VALUE})")
    Slice slice;

    @Option(names = "--max-lateness", paramLabel = "INTERVAL", defaultValue = "10 min", converter = SliceConverter.class,
            description = "Refuse a T later than now() minus this: rows that old must no longer be written (default:"
                    + " ${DEFAULT-VALUE}; not checked with --writers-stopped)")
    Slice maxLateness;

    @Mixin
    WritersStoppedOption writersStopped;

    @Option(names = "--time-zone", paramLabel = "ZONE", defaultValue = Positions.DEFAULT_ZONE,
            description = "The zone whose wall-clock times timestamp (without time zone) and date columns hold, and in"
                    + " which a --until/--from without an offset is read; the dual-write mark is converted to it"
                    + " (default: ${DEFAULT-VALUE})")
    String zone;

    @Option(names = "--allow-null-time",
            description = "Stage even though some rows have a NULL time column: no task copies them (verify still compares them)")
    boolean allowNullTime;

    @Option(names = "--replace", description = "Discard the staged plan, also one staged with the same arguments (its"
            + " tasks then run again: to copy the same ranges once more)")
    boolean replace;

    @Override
    protected int execute() throws SQLException {
        if (maxLateness.micros() == 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--max-lateness must be a duration such as '10 min', not '" + maxLateness + "'");
        }
        refuseRelative("--until", until);
        refuseRelative("--from", from);
        if (integerFrom != null && integerUntil == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--integer-from needs --integer-until (without both, --from and --until bound every table)");
        }
        try (Database source = Database.open(Side.SOURCE, connection.source(environment()), 1);
             Database target = Database.open(Side.TARGET, connection.target(environment()), 1);
             Connection s = source.connection(); Connection t = target.connection()) {
            boolean stopped = writersStopped.announce(out());
            Planner.Outcome outcome = new Planner(s, t, out()).stage(new Planner.Request(tables, filters, from, until,
                    slice, maxLateness.micros(), stopped, zone, allowNullTime, replace, integerFrom, integerUntil));
            outcome.lines().forEach(out()::println);
            out().println(outcome.unchanged() ? "plan already staged with the same arguments: nothing to do"
                    : "staged " + Counted.of(outcome.tasks(), "task"));
            return ExitCodes.OK;
        }
    }

    /** PostgreSQL's words for a time relative to when it is read, which the server accepts as times. */
    private static final Set<String> RELATIVE_WORDS = Set.of("now", "today", "tomorrow", "yesterday");

    /**
     * A bound written as {@code now}, {@code today}, {@code tomorrow} or {@code yesterday} means another time on each
     * run, while the plan keeps the words: the same command a day later would find the plan "staged with the same
     * arguments" and copy nothing newer.
     */
    private void refuseRelative(String option, String value) {
        if (value == null) {
            return;
        }
        for (String word : value.trim().toLowerCase(Locale.ROOT).split("[\\s]+")) {
            if (RELATIVE_WORDS.contains(word)) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), option + " " + value + ": '" + word
                        + "' means another time on every run, while the plan keeps the words; give the time itself,"
                        + " e.g. '2026-11-27 00:00:00+00'");
            }
        }
    }

    /** picocli converter: a bad value is a usage error (exit 2). */
    public static final class TableOptionConverter implements picocli.CommandLine.ITypeConverter<TableOption> {
        @Override
        public TableOption convert(String value) {
            try {
                return TableOption.parse(value);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** picocli converter: a bad value is a usage error (exit 2). */
    public static final class SliceConverter implements picocli.CommandLine.ITypeConverter<Slice> {
        @Override
        public Slice convert(String value) {
            try {
                return Slice.parse(value);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
