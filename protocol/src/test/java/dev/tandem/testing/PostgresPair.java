package dev.tandem.testing;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The two servers of a migration: the source the application writes to, and the target Tandem fills.
 * Shared by every test class of a run, so each class works in databases of its own ({@link #freshDatabase}).
 */
public final class PostgresPair implements AutoCloseable {

    private static final AtomicInteger DATABASES = new AtomicInteger();

    private final PgServer source;
    private final PgServer target;

    PostgresPair(PgServer source, PgServer target) {
        this.source = source;
        this.target = target;
    }

    public PgServer source() {
        return source;
    }

    public PgServer target() {
        return target;
    }

    /**
     * Creates a new empty database of the same name on source and target and returns its name,
     * so test classes sharing the servers never see each other's tables.
     */
    public String freshDatabase(String prefix) {
        String name = prefix.toLowerCase() + "_" + DATABASES.incrementAndGet();
        source.createDatabase(name);
        target.createDatabase(name);
        return name;
    }

    /** Runs the same SQL on both sides, as a schema clone would. */
    public void executeOnBoth(String database, String sql) {
        source.execute(database, sql);
        target.execute(database, sql);
    }

    @Override
    public void close() {
        try {
            source.close();
        } finally {
            target.close();
        }
    }
}
