package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.TableName;
import dev.tandem.protocol.state.ChunkCatalog;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Tells a TimescaleDB chunk by its name. An application that writes into a chunk by name
 * ({@code INSERT INTO _timescaledb_internal._hyper_1_2_chunk ...}) writes rows of the chunk's hypertable, but the
 * target's chunks of that hypertable have other names (ids are drawn per server), so such a write can only be
 * mirrored into the hypertable, which the source's catalog names.
 *
 * <p>TimescaleDB names a chunk {@code <prefix>_<chunk id>_chunk} in its hypertable's associated schema, the prefix
 * being the hypertable's {@code associated_table_prefix}: {@code _hyper_<hypertable id>} ({@code _dist_hyper_...}
 * for distributed hypertables) unless {@code create_hypertable} was given {@code associated_table_prefix} (and
 * {@code associated_schema_name}, else {@code _timescaledb_internal}). {@code create_chunk} may also name a chunk
 * freely. Both are read from {@code _timescaledb_catalog.hypertable} and {@code .chunk} (in the shape the server's
 * version gave it: {@link ChunkCatalog}), which every role may read, of the target, whose catalog the schema clone
 * copied from the source's; the default form counts without them (before the first look-up, and where the catalog
 * cannot be read). The name decides, whatever the schema; a table
 * taken for a chunk costs only its capture, as the applier asks the source's catalog for its hypertable.
 */
public final class ChunkNames {

    /** Only the default form: before the target's catalog is known. */
    public static final ChunkNames DEFAULT = new ChunkNames(Set.of(), Set.of());

    private static final Pattern DEFAULT_NAME = Pattern.compile("_(dist_)?hyper_\\d+_\\d+_chunk");
    private static final String SUFFIX = "_chunk";

    static final String PREFIXES = "SELECT DISTINCT associated_table_prefix::text FROM _timescaledb_catalog.hypertable";
    /** {@code <prefix>_<digits>_chunk} in SQL, for {@code h.associated_table_prefix} and the name {@code %s}. */
    private static final String PREFIXED = """
            (left(%1$s, length(h.associated_table_prefix) + 1) = h.associated_table_prefix || '_'
             AND substr(%1$s, length(h.associated_table_prefix) + 2) ~ '^[0-9]+_chunk$')""";

    /** The chunks whose names follow no prefix, in a catalog of chunks of that shape. */
    static String otherNames(ChunkCatalog catalog) {
        return "SELECT c.schema_name::text, c.table_name::text FROM " + catalog.chunks() + " c"
                + " JOIN _timescaledb_catalog.hypertable h ON h.id = c.hypertable_id WHERE NOT"
                + PREFIXED.formatted("c.table_name");
    }

    /**
     * Whether the table ({@code $1} schema, {@code $2} name, as text) is named as a chunk in a database whose catalog
     * of chunks has that shape, by the same rule as {@link #isChunk}; text {@code true} or {@code false}.
     */
    public static String isChunkQuery(ChunkCatalog catalog) {
        return "SELECT (EXISTS (SELECT 1 FROM _timescaledb_catalog.hypertable h WHERE" + PREFIXED.formatted("$2::text")
                + ") OR EXISTS (SELECT 1 FROM " + catalog.chunks() + " c"
                + " WHERE c.schema_name = $1::text AND c.table_name = $2::text))::text";
    }

    private final Set<String> prefixes;
    private final Set<TableName> others;

    /**
     * @param prefixes the hypertables' {@code associated_table_prefix}es
     * @param others   chunks whose names follow no prefix
     */
    ChunkNames(Set<String> prefixes, Set<TableName> others) {
        this.prefixes = Set.copyOf(prefixes);
        this.others = Set.copyOf(others);
    }

    /** @param table resolved (schema not null) */
    public boolean isChunk(TableName table) {
        String name = table.name();
        if (DEFAULT_NAME.matcher(name).matches() || others.contains(table)) {
            return true;
        }
        String prefix = prefixOf(name);
        return prefix != null && prefixes.contains(prefix);
    }

    /** What comes before {@code _<digits>_chunk} in {@code name}, or null when it does not end so. */
    private static String prefixOf(String name) {
        if (!name.endsWith(SUFFIX)) {
            return null;
        }
        int digitsEnd = name.length() - SUFFIX.length();
        int digits = digitsEnd;
        while (digits > 0 && name.charAt(digits - 1) >= '0' && name.charAt(digits - 1) <= '9') {
            digits--;
        }
        if (digits == digitsEnd || digits < 2 || name.charAt(digits - 1) != '_') {
            return null;
        }
        return name.substring(0, digits - 1);
    }

    /** Reads them from a database's catalog; the default form only where it has no TimescaleDB. */
    static ChunkNames load(Connection c) throws SQLException {
        Optional<ChunkCatalog> catalog = ChunkCatalog.read(c);
        if (catalog.isEmpty()) {
            return DEFAULT;
        }
        Set<String> prefixes = new HashSet<>();
        Set<TableName> others = new HashSet<>();
        try (Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery(PREFIXES)) {
                while (rs.next()) {
                    prefixes.add(rs.getString(1));
                }
            }
            try (ResultSet rs = s.executeQuery(otherNames(catalog.get()))) {
                while (rs.next()) {
                    others.add(new TableName(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return new ChunkNames(prefixes, others);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChunkNames other && prefixes.equals(other.prefixes) && others.equals(other.others);
    }

    @Override
    public int hashCode() {
        return prefixes.hashCode() * 31 + others.hashCode();
    }
}
