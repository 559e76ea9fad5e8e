package dev.tandem.testing;

import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.testcontainers.DockerClientFactory;

/**
 * Gives a test class a running source and target PostgreSQL.
 *
 * <pre>
 * {@literal @}RegisterExtension
 * static final PostgresPairExtension PG = PostgresPairExtension.embedded();
 * ...
 * String db = PG.pair().freshDatabase("relay");
 * </pre>
 *
 * The servers are started once per test run (kept in the root extension store, closed when the run
 * ends), because each start costs seconds. {@link #embedded()} needs nothing but Maven Central;
 * {@link #timescaledb()} runs TimescaleDB in Testcontainers and disables the class with the reason
 * {@value #NO_DOCKER} where no Docker engine answers.
 */
public final class PostgresPairExtension implements BeforeAllCallback, ExecutionCondition, ParameterResolver {

    static final String NO_DOCKER = "Docker not available";

    private final String flavour;
    private final Function<String, PgServer> starter;
    private final BooleanSupplier available;
    private PostgresPair pair;

    private PostgresPairExtension(String flavour, Function<String, PgServer> starter, BooleanSupplier available) {
        this.flavour = flavour;
        this.starter = starter;
        this.available = available;
    }

    /** Embedded PostgreSQL binaries: always available. */
    public static PostgresPairExtension embedded() {
        return new PostgresPairExtension("embedded", EmbeddedPgServer::start, () -> true);
    }

    /** TimescaleDB containers: available only with a Docker engine. Tag such tests {@code timescaledb}. */
    public static PostgresPairExtension timescaledb() {
        return timescaledb(PostgresPairExtension::dockerAvailable);
    }

    static PostgresPairExtension timescaledb(BooleanSupplier dockerAvailable) {
        return new PostgresPairExtension("timescaledb", ContainerPgServer::start, dockerAvailable);
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (available.getAsBoolean()) {
            return ConditionEvaluationResult.enabled(flavour + " PostgreSQL available");
        }
        return ConditionEvaluationResult.disabled(NO_DOCKER + ": the " + flavour + " tests need a Docker engine");
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        ExtensionContext.Store store = context.getRoot().getStore(ExtensionContext.Namespace.create(PostgresPairExtension.class));
        pair = store.getOrComputeIfAbsent(flavour, f -> new ClosablePair(new PostgresPair(
                starter.apply("source"), starter.apply("target"))), ClosablePair.class).pair;
    }

    public PostgresPair pair() {
        if (pair == null) {
            throw new IllegalStateException("PostgresPairExtension must be registered on a static field");
        }
        return pair;
    }

    public PgServer source() {
        return pair().source();
    }

    public PgServer target() {
        return pair().target();
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == PostgresPair.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return pair();
    }

    /** Lets JUnit close the servers when the whole run ends. */
    private record ClosablePair(PostgresPair pair) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            pair.close();
        }
    }
}
