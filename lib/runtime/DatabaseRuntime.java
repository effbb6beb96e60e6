import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Where PostgreSQL runs: a Docker container, an embedded server under the state dir, or an external URL. */
public interface DatabaseRuntime {

    /** What status shows about a runtime: facts, troubleshooting lines when it is not up, helpful commands. */
    record Report(boolean running, Map<String, Object> facts, List<String> troubles, Map<String, String> commands) {}

    /** "docker", "embedded" or "external". */
    String name();

    /** Where clients connect (the port really in use where one runs), whether or not it is running now. */
    PostgresUrl url();

    /**
     * Makes sure PostgreSQL is running and answers a query from this host, starting or creating it when
     * needed. Returns true when this call started it (false when it was already running).
     */
    boolean start(Console console, Duration timeout);

    /** Stops PostgreSQL, keeping its data; returns false when there was nothing to stop. */
    boolean stop(Console console);

    /** Stops PostgreSQL at once (second Ctrl+C); it recovers from its WAL on the next start. */
    void stopNow();

    /** A fast look at the runtime for status; never starts anything. */
    Report report();

    /** Waits until PostgreSQL accepts a real query from this host, with backoff; returns its version. */
    static String waitUntilReady(PostgresUrl url, Duration timeout, Runnable checkStillStarting) {
        try {
            return Retry.until(timeout).givingUpOn(DatabaseRuntime::isPermanent).run(() -> {
                checkStillStarting.run();
                try (Connection connection = url.connect();
                     Statement statement = connection.createStatement();
                     ResultSet result = statement.executeQuery("SELECT current_setting('server_version')")) {
                    result.next();
                    return result.getString(1);
                }
            });
        } catch (OxyError e) {
            throw e;
        } catch (SQLException e) {
            OxyError reason = url.unavailable(e);
            throw new OxyError(ExitCode.DATABASE_UNAVAILABLE,
                "PostgreSQL did not become ready within " + timeout.toSeconds() + " s: " + reason.getMessage(), reason.hint(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OxyError(ExitCode.INTERRUPTED, "interrupted while waiting for PostgreSQL", null, e);
        } catch (Exception e) {
            throw new OxyError(ExitCode.DATABASE_UNAVAILABLE, "PostgreSQL did not become ready: " + Cli.describe(e), null, e);
        }
    }

    /** Creates the app's database on a local server that does not have it yet. */
    static void createDatabaseIfMissing(PostgresUrl url) {
        try (Connection connection = url.withDatabase("postgres").connect();
             PreparedStatement exists = connection.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            exists.setString(1, url.database());
            if (exists.executeQuery().next()) return;
            try (Statement create = connection.createStatement()) {
                create.execute("CREATE DATABASE \"" + url.database().replace("\"", "\"\"") + "\"");
            }
        } catch (SQLException e) {
            throw url.unavailable(e);
        }
    }

    /** Failures that waiting for a starting server cannot fix: bad credentials, no such database, unknown host. */
    static boolean isPermanent(Exception error) {
        if (!(error instanceof SQLException sql)) return false;
        String state = sql.getSQLState() == null ? "" : sql.getSQLState();
        return state.equals("28P01") || state.equals("28000") || state.equals("3D000")
            || sql.getCause() instanceof java.net.UnknownHostException;
    }

    /** Major version from a PG_VERSION file's content or a server_version string ("18.1 (Debian ...)"). */
    static int majorOf(String version) {
        String digits = version.strip().split("[^0-9]", 2)[0];
        return digits.isEmpty() ? -1 : Integer.parseInt(digits);
    }
}
