import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Rows whose foreign keys point nowhere, found on their own SQLite connection and thread beside the load: SQLite's
 * own check of the keys the file declares, then the keys only the target has. A run that skips orphans, or is
 * refused anyway, waits for it before the load; any other run loads meanwhile and waits only before the commit,
 * where an orphan still refuses the run with the pre-flight's words (a load with orphans also breaks a foreign key,
 * and the orphans, not that, are what the user is told).
 */
public final class OrphanCheck implements AutoCloseable {
    /** A single-column foreign key the target has and the SQLite file does not declare. */
    public record TargetKey(TablePlan child, String column, TablePlan parent, String parentColumn, String name) {}

    /** orphans: table -> rowids; problems: one line per orphan (none with skipOrphans); warnings: what to say, in order. */
    public record Found(Map<String, Set<Long>> orphans, List<String> problems, List<String> warnings) {}

    private final Connection sqlite;
    private final List<TablePlan> plan;
    private final List<TargetKey> targetKeys;
    private final boolean skipOrphans;
    private final Statement interrupter;
    private final CompletableFuture<Found> found;
    private volatile boolean closing;

    private OrphanCheck(Connection sqlite, List<TablePlan> plan, List<TargetKey> targetKeys, boolean skipOrphans) throws SQLException {
        this.sqlite = sqlite;
        this.interrupter = sqlite.createStatement(); // its cancel() interrupts whatever runs on the connection
        this.plan = plan;
        this.targetKeys = targetKeys;
        this.skipOrphans = skipOrphans;
        this.found = CompletableFuture.supplyAsync(this::run, runnable -> {
            Thread thread = new Thread(runnable, "sqlite-orphan-check");
            thread.setDaemon(true); // an interrupt or kill does not wait for it
            thread.start();
        });
    }

    /** Starts the check on sqlite (its own read-only connection, closed with this). */
    public static OrphanCheck start(Connection sqlite, List<TablePlan> plan, List<TargetKey> targetKeys, boolean skipOrphans) throws SQLException {
        return new OrphanCheck(sqlite, plan, targetKeys, skipOrphans);
    }

    /** What the check found; throws what it met (an SQLException of the target-key queries) as the pre-flight did. */
    public Found await() throws SQLException {
        try {
            return found.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the orphan check", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UncheckedSql sql) throw sql.cause;
            if (e.getCause() instanceof RuntimeException runtime) throw runtime;
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The orphans' problem lines once the check is done, empty if it failed (the failure then stands for itself). */
    public List<String> problemsIfAny() {
        try {
            return await().problems();
        } catch (SQLException | RuntimeException e) {
            return List.of();
        }
    }

    private static final class UncheckedSql extends RuntimeException {
        final SQLException cause;

        UncheckedSql(SQLException cause) {
            super(cause);
            this.cause = cause;
        }
    }

    private Found run() {
        Map<String, Set<Long>> orphans = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        declaredKeys(orphans, problems, warnings);
        try {
            targetKeys(orphans, problems, warnings);
        } catch (SQLException e) {
            throw new UncheckedSql(e);
        }
        return new Found(orphans, problems, warnings);
    }

    /** The keys the file declares, by SQLite's own check (a uuid in another form in the parent is no orphan). */
    private void declaredKeys(Map<String, Set<Long>> orphans, List<String> problems, List<String> warnings) {
        for (TablePlan table : plan) {
            if (closing) return;
            try (Statement statement = sqlite.createStatement();
                 ResultSet result = statement.executeQuery("PRAGMA foreign_key_check(" + Databases.quote(table.source().name()) + ")")) {
                while (result.next()) {
                    long rowid = result.getLong("rowid");
                    String parent = result.getString("parent");
                    if (!SourceKeys.isOrphan(sqlite, table.source().name(), rowid, parent, result.getInt("fkid"))) continue;
                    orphans.computeIfAbsent(table.name(), name -> new LinkedHashSet<>()).add(rowid);
                    if (!skipOrphans) problems.add("orphan: " + table.name() + " rowid " + rowid + " points to a missing row of " + parent);
                }
            } catch (SQLException e) {
                warnings.add("the foreign keys of " + table.name() + " could not be checked in SQLite (" + Cli.describe(e) + "); PostgreSQL will check them");
            }
        }
        if (skipOrphans) orphans.forEach((table, rows) -> warnings.add("Skipping " + rows.size() + " orphan row(s) of " + table));
    }

    /**
     * Foreign keys only the target has (SQLite's file does not declare them, so its own check cannot see them):
     * rows pointing nowhere are orphans all the same, and skipped with --skip-orphans like them.
     */
    private void targetKeys(Map<String, Set<Long>> orphans, List<String> problems, List<String> warnings) throws SQLException {
        for (TargetKey key : targetKeys) {
            if (closing) return;
            String child = Databases.quote(key.child().source().name()), column = Databases.quote(key.column());
            String parent = Databases.quote(key.parent().source().name()), parentColumn = Databases.quote(key.parentColumn());
            String candidates = "SELECT c.rowid, c." + column + " FROM " + child + " c WHERE c." + column + " IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
                + parent + " p WHERE p." + parentColumn + " = c." + column + ")";
            try (Statement statement = sqlite.createStatement(); ResultSet result = statement.executeQuery(candidates)) {
                while (result.next()) {
                    long rowid = result.getLong(1);
                    if (SourceKeys.parentHas(sqlite, key.parent().source().name(), key.parentColumn(), result.getObject(2))) continue; // the same uuid in another form
                    if (!orphans.computeIfAbsent(key.child().name(), name -> new LinkedHashSet<>()).add(rowid)) continue;
                    if (skipOrphans) {
                        warnings.add("Skipping orphan " + key.child().name() + " rowid " + rowid + " (the target's foreign key " + key.name() + ")");
                    } else {
                        problems.add("orphan: " + key.child().name() + " rowid " + rowid + " points to a missing row of " + key.parent().name()
                            + " (the target's foreign key " + key.name() + "; SQLite's file does not declare it)");
                    }
                }
            }
        }
    }

    /** Stops a check still running (sqlite3_interrupt) and closes its connection. */
    @Override
    public void close() {
        try {
            closing = true;
            if (!found.isDone()) interrupter.cancel();
            found.handle((result, error) -> null).join();
            interrupter.close();
            sqlite.close();
        } catch (SQLException e) {
            // closing a read-only connection: nothing to lose
        }
    }
}
