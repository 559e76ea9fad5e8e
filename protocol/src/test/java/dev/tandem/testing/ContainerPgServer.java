package dev.tandem.testing;

import org.testcontainers.containers.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

/** TimescaleDB in a container, for the tests tagged {@code timescaledb}; only used where Docker runs. */
public final class ContainerPgServer implements PgServer {

    /** Source and target use the same image so their TimescaleDB versions match, as a real migration should. */
    public static final String IMAGE = "timescale/timescaledb:2.26.0-pg17";
    /**
     * Another image for both, to run the tagged tests against another TimescaleDB or PostgreSQL version
     * ({@code -Dtandem.timescaledb.image=timescale/timescaledb:2.10.3-pg15}, say).
     */
    static final String IMAGE_PROPERTY = "tandem.timescaledb.image";

    private final String role;
    private final PostgreSQLContainer<?> container;

    private ContainerPgServer(String role, PostgreSQLContainer<?> container) {
        this.role = role;
        this.container = container;
    }

    @SuppressWarnings("resource") // closed by close()
    public static ContainerPgServer start(String role) {
        PostgreSQLContainer<?> container = new PostgreSQLContainer<>(
                DockerImageName.parse(System.getProperty(IMAGE_PROPERTY, IMAGE)).asCompatibleSubstituteFor("postgres"))
                .withDatabaseName("postgres")
                .withUsername("postgres")
                .withPassword("postgres");
        container.start();
        return new ContainerPgServer(role, container);
    }

    @Override
    public String role() {
        return role;
    }

    @Override
    public String host() {
        return container.getHost();
    }

    @Override
    public int port() {
        return container.getMappedPort(PostgreSQLContainer.POSTGRESQL_PORT);
    }

    @Override
    public String user() {
        return container.getUsername();
    }

    @Override
    public String password() {
        return container.getPassword();
    }

    @Override
    public void stop() {
        container.getDockerClient().stopContainerCmd(container.getContainerId()).exec();
    }

    @Override
    public void start() {
        container.getDockerClient().startContainerCmd(container.getContainerId()).exec();
    }

    @Override
    public boolean isRunning() {
        return container.isRunning();
    }

    @Override
    public void close() {
        container.stop();
    }

    @Override
    public String toString() {
        return role + " (" + IMAGE + " on " + host() + ":" + port() + ")";
    }
}
