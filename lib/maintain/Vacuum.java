import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.function.Consumer;

/** maintain --vacuum: VACUUM (ANALYZE) a table at a time, watching pg_stat_progress_vacuum from a second session. */
public final class Vacuum {
    private Vacuum() {}

    /** One look at the vacuum's progress: its phase and heap blocks scanned of the total. */
    public record Progress(String phase, long scanned, long total) {
        public String describe() {
            return phase + (total > 0 ? " " + (100 * scanned / total) + "% (" + scanned + " of " + total + " blocks)" : "");
        }
    }

    /** Dead rows as the statistics count them, before and after. */
    public static long deadRows(Connection connection, String table) throws SQLException {
        return Long.parseLong(MaintenanceSql.strings(connection, "SELECT coalesce(n_dead_tup, 0) FROM pg_stat_all_tables WHERE relid = to_regclass(?)", table)
            .stream().findFirst().orElse("0"));
    }

    /**
     * Runs VACUUM (ANALYZE) on the table in session, reporting every new phase to onPhase as it is seen from
     * watcher (a second session: the first is busy); costDelayMillis &gt; 0 throttles it (vacuum_cost_delay).
     */
    public static void run(Connection session, Connection watcher, String table, int costDelayMillis, Consumer<Progress> onPhase, Runnable onInterrupt)
        throws SQLException {
        int pid = Integer.parseInt(MaintenanceSql.strings(session, "SELECT pg_backend_pid()").get(0));
        if (costDelayMillis > 0) MaintenanceSql.strings(session, "SELECT set_config('vacuum_cost_delay', ?, false)", costDelayMillis + "ms");
        java.util.concurrent.ScheduledExecutorService poller = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "vacuum-progress");
            thread.setDaemon(true);
            return thread;
        });
        String[] lastPhase = {null};
        poller.scheduleWithFixedDelay(() -> {
            try {
                progress(watcher, pid).ifPresent(p -> {
                    if (!p.phase().equals(lastPhase[0])) {
                        lastPhase[0] = p.phase();
                        onPhase.accept(p);
                    }
                });
            } catch (SQLException ignored) {
                // the watcher's session went: progress is a nicety, the vacuum goes on
            }
        }, 0, 100, java.util.concurrent.TimeUnit.MILLISECONDS);
        try {
            MaintenanceSql.runCancellable(session, "VACUUM (ANALYZE) " + table, onInterrupt);
        } finally {
            poller.shutdownNow();
        }
    }

    public static Optional<Progress> progress(Connection watcher, int pid) throws SQLException {
        synchronized (watcher) {
            return MaintenanceSql.strings(watcher, "SELECT phase || '|' || heap_blks_scanned || '|' || heap_blks_total FROM pg_stat_progress_vacuum WHERE pid = ?", pid)
                .stream().findFirst().map(row -> {
                    String[] parts = row.split("\\|");
                    return new Progress(parts[0], Long.parseLong(parts[1]), Long.parseLong(parts[2]));
                });
        }
    }
}
