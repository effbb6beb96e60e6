import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/** The end of every start: PostgreSQL answers a query from this host, the app's database is there, and the console says so. */
public final class Readiness {
    private Readiness() {}

    /** A local (docker or embedded) server: ready on its maintenance database, then the app's database created if missing. */
    public static void awaitLocal(Console console, PostgresUrl url, Duration timeout, Runnable checkStillStarting) {
        // the maintenance database first: a volume initialised by another tool may not have ours yet
        String version = waitUntilReady(url.withDatabase("postgres"), timeout, checkStillStarting);
        createDatabaseIfMissing(url);
        console.ok("PostgreSQL " + version + " is ready at " + url);
    }

    /** An external server: ready on the app's own database, which is its owner's to create. */
    public static void awaitExternal(Console console, PostgresUrl url, Duration timeout) {
        String version = waitUntilReady(url, timeout, () -> {});
        console.ok("PostgreSQL " + version + " is ready");
    }

    /** Waits until PostgreSQL accepts a real query from this host, with backoff; returns its version. */
    public static String waitUntilReady(PostgresUrl url, Duration timeout, Runnable checkStillStarting) {
        try {
            return Retry.until(timeout).givingUpOn(Readiness::isPermanent).run(() -> {
                checkStillStarting.run();
                try (Connection connection = url.connect()) {
                    return Databases.serverVersion(connection);
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
    public static void createDatabaseIfMissing(PostgresUrl url) {
        try (Connection connection = url.withDatabase("postgres").connect();
             PreparedStatement exists = connection.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            exists.setString(1, url.database());
            if (exists.executeQuery().next()) return;
            try (Statement create = connection.createStatement()) {
                create.execute("CREATE DATABASE " + Databases.quote(url.database()));
            }
        } catch (SQLException e) {
            throw url.unavailable(e);
        }
    }

    /** Failures that waiting for a starting server cannot fix: bad credentials, no such database, unknown host. */
    public static boolean isPermanent(Exception error) {
        if (!(error instanceof SQLException sql)) return false;
        String state = sql.getSQLState() == null ? "" : sql.getSQLState();
        return state.equals("28P01") || state.equals("28000") || state.equals("3D000")
            || sql.getCause() instanceof java.net.UnknownHostException;
    }
}
