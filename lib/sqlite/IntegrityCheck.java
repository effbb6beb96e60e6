import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * SQLite's PRAGMA integrity_check of the whole file, on its own connection and thread, beside the load: it reads
 * every page, which on a large file took as long as loading a third of it, so nothing waits for it but the commit
 * (and the dry run's verdict). A failure it finds replaces whatever the load met, since a damaged file explains it.
 */
public final class IntegrityCheck implements AutoCloseable {
    private final Path file;
    private final Connection connection;
    private final Statement statement;
    private final CompletableFuture<List<String>> findings;

    private IntegrityCheck(Path file, Connection connection) throws SQLException {
        this.file = file;
        this.connection = connection;
        this.statement = connection.createStatement();
        this.findings = CompletableFuture.supplyAsync(this::run, runnable -> {
            Thread thread = new Thread(runnable, "sqlite-integrity-check");
            thread.setDaemon(true); // an interrupt or kill does not wait for it
            thread.start();
        });
    }

    /** Starts the check on connection (its own, read-only, closed with this). */
    public static IntegrityCheck start(Path file, Connection connection) throws SQLException {
        return new IntegrityCheck(file, connection);
    }

    private List<String> run() {
        List<String> found = new ArrayList<>();
        try (ResultSet result = statement.executeQuery("PRAGMA integrity_check")) {
            while (result.next()) found.add(result.getString(1));
        } catch (SQLException e) {
            found.add("the check itself failed: " + Cli.describe(e).lines().findFirst().orElse(""));
        }
        return found;
    }

    /** Waits for the check; throws the refusal when the file is damaged. */
    public void await() {
        List<String> found = result();
        if (!found.equals(List.of("ok"))) throw refusal(found);
    }

    /**
     * After a failure of the load: the integrity refusal when the file is damaged (the likelier cause), else failure
     * itself. Waits for the check only where the failure may come from the file.
     */
    public Exception explain(Exception failure) {
        if (failure instanceof OxyError error && (error.exitCode() == ExitCode.USAGE || error.exitCode() == ExitCode.DATABASE_UNAVAILABLE)) return failure;
        List<String> found = result();
        return found.equals(List.of("ok")) ? failure : refusal(found);
    }

    private List<String> result() {
        try {
            return findings.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for SQLite's integrity check", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    private OxyError refusal(List<String> found) {
        return new OxyError(ExitCode.REFUSED, file + " fails SQLite's integrity check; nothing was written",
            "Repair it first (sqlite3 " + file + " '.recover')", found.subList(0, Math.min(5, found.size())), null);
    }

    /** Stops a check still running (sqlite3_interrupt) and closes its connection. */
    @Override
    public void close() {
        try {
            if (!findings.isDone()) statement.cancel();
            findings.handle((found, error) -> null).join();
            statement.close();
            connection.close();
        } catch (SQLException e) {
            // closing a read-only connection: nothing to lose
        }
    }
}
