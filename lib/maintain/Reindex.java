import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * maintain --reindex: REINDEX CONCURRENTLY, one table (or index) at a time, so that writes go on and an
 * interruption costs at most the one in progress. An interrupted REINDEX CONCURRENTLY leaves an invalid copy
 * named ..._ccnew (or the old one as ..._ccold); those are dropped first, and other invalid indexes rebuilt.
 */
public final class Reindex {
    private Reindex() {}

    /** An invalid index in the target and what is done about it. */
    public record Leftover(String index, String table, boolean fromReindex) {}

    public static List<Leftover> invalidIndexes(Connection connection, MaintenanceTarget target) throws SQLException {
        return MaintenanceSql.strings(connection, """
            SELECT format('%I.%I', n.nspname, ic.relname) || '|' || format('%I.%I', n.nspname, c.relname)
            FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT i.indisvalid AND format('%I.%I', n.nspname, c.relname) = ANY (?) ORDER BY 1""",
            (Object) connection.createArrayOf("text", target.tables().toArray())).stream()
            .map(row -> {
                String[] parts = row.split("\\|", 2);
                return new Leftover(parts[0], parts[1], parts[0].matches(".*_cc(new|old)[0-9]*\"?$"));
            }).toList();
    }

    /** A CREATE INDEX or REINDEX running now on one of the tables: its index is invalid until it ends, and not ours to drop. */
    public static List<String> buildsRunning(Connection connection, MaintenanceTarget target) throws SQLException {
        return MaintenanceSql.strings(connection, """
            SELECT p.pid || ' (' || p.command || ' on ' || format('%I.%I', n.nspname, c.relname) || ')'
            FROM pg_stat_progress_create_index p JOIN pg_class c ON c.oid = p.relid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE p.pid <> pg_backend_pid() AND format('%I.%I', n.nspname, c.relname) = ANY (?)""",
            connection.createArrayOf("text", target.tables().toArray()));
    }

    public static void dropLeftover(Connection connection, Leftover leftover) throws SQLException {
        MaintenanceSql.runCancellable(connection, "DROP INDEX CONCURRENTLY IF EXISTS " + leftover.index(), () -> {});
    }

    /** REINDEX (INDEX or TABLE) CONCURRENTLY; onInterrupt: what to say if Ctrl+C stops it. */
    public static void rebuild(Connection connection, MaintenanceTarget.Kind kind, String name, Runnable onInterrupt) throws SQLException {
        MaintenanceSql.runCancellable(connection, "REINDEX " + (kind == MaintenanceTarget.Kind.INDEX ? "INDEX" : "TABLE") + " CONCURRENTLY " + name, onInterrupt);
    }
}
