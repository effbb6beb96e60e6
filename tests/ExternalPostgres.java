import java.sql.Connection;
import java.sql.SQLException;
import java.util.UUID;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * A PostgreSQL 18 in Testcontainers, standing in for an external server, for a whole test class: register it
 * with {@code @RegisterExtension static}. Needs Docker (skipped without it, failed under CI=true); stopped after.
 */
final class ExternalPostgres implements BeforeAllCallback, AfterAllCallback {
    private final String user;
    private final String password;
    private final String database;
    private PostgreSQLContainer server;

    ExternalPostgres(String user, String password, String database) {
        this.user = user;
        this.password = password;
        this.database = database;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        OxyCli.requireDocker();
        server = new PostgreSQLContainer("postgres:18-alpine").withUsername(user).withPassword(password).withDatabaseName(database);
        server.start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (server != null) server.stop();
    }

    /** The container itself, to run a command in it or copy a file out. */
    PostgreSQLContainer container() { return server; }

    String jdbcUrl() { return server.getJdbcUrl(); }

    int port() { return server.getMappedPort(5432); }

    /** The URL of a database on this server, as the server's user. */
    String url(String databaseName) { return url(user, password, databaseName); }

    String url(String role, String rolePassword, String databaseName) {
        return "postgresql://" + role + ":" + rolePassword + "@localhost:" + port() + "/" + databaseName;
    }

    /** A new, empty database (db_ and ten hex digits), and its URL. */
    String newDatabase() throws SQLException {
        String name = "db_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        try (Connection connection = connect()) {
            OxyCli.execute(connection, "CREATE DATABASE " + name);
        }
        return url(name);
    }

    /** A session as the server's user on the database it was started with. */
    Connection connect() throws SQLException {
        return OxyCli.connect(jdbcUrl(), user, password);
    }

    /** A session as the server's user on the database of the URL. */
    Connection connect(String url) throws SQLException {
        return OxyCli.connect(PostgresUrl.parse(url).jdbcUrl(), user, password);
    }
}
