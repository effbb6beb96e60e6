import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;

/** doctor --cancel / --terminate: what a backend is doing, the signal, and waiting until it took effect. */
public final class BackendSignal {
    private BackendSignal() {}

    public enum Kind {
        /** pg_cancel_backend: the running query stops with an error; the session and its transaction's earlier work stay (the transaction is aborted). */
        CANCEL("pg_cancel_backend", "cancel the query of"),
        /** pg_terminate_backend: the session ends; its open transaction rolls back and its locks go. */
        TERMINATE("pg_terminate_backend", "terminate");

        private final String function;
        private final String verb;

        Kind(String function, String verb) {
            this.function = function;
            this.verb = verb;
        }

        public String verb() { return verb; }
    }

    /** The session as pg_stat_activity shows it; queryStart tells a new query from the cancelled one. */
    public record Backend(int pid, String user, String application, String state, String since, String query, java.sql.Timestamp queryStart) {
        public String describe() {
            return "pid " + pid + ": " + (user == null ? "another role's session" : user) + (application == null || application.isEmpty() ? "" : " (" + application + ")")
                + ", " + (state == null ? "state hidden" : state) + (since == null ? "" : " for " + since) + (query == null ? "" : ": " + query);
        }
    }

    public static Optional<Backend> find(Connection connection, int pid) throws SQLException {
        return HealthQueries.rows(connection, """
            SELECT pid, usename, application_name, state, to_char(now() - coalesce(query_start, backend_start), 'HH24:MI:SS'),
                   left(regexp_replace(query, '\\s+', ' ', 'g'), 200), query_start
            FROM pg_stat_activity WHERE pid = ?""",
            row -> new Backend(row.getInt(1), row.getString(2), row.getString(3), row.getString(4), row.getString(5), row.getString(6), row.getTimestamp(7)),
            pid).stream().findFirst();
    }

    /**
     * Sends the signal and waits (up to timeout) until it took effect: the query no longer runs (cancel) or the
     * session is gone (terminate). Returns whether it did; refused with REFUSED when our role may not signal it.
     */
    public static boolean send(Connection connection, Backend backend, Kind kind, Duration timeout) throws SQLException {
        if (backend.pid() == HealthQueries.one(connection, "SELECT pg_backend_pid()", row -> row.getInt(1))) {
            throw new OxyError(ExitCode.REFUSED, "pid " + backend.pid() + " is doctor's own session", "Nothing was done.");
        }
        boolean sent;
        try {
            sent = HealthQueries.one(connection, "SELECT " + kind.function + "(?)", row -> row.getBoolean(1), backend.pid());
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState())) {
                throw new OxyError(ExitCode.REFUSED, "role may not " + kind.verb() + " pid " + backend.pid() + ": " + e.getMessage(),
                    "Run as a superuser or as a member of pg_signal_backend (or of the session's role); nothing was done.");
            }
            throw e;
        }
        if (!sent) return false;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Backend> now = find(connection, backend.pid());
            if (now.isEmpty()) return true;
            if (kind == Kind.CANCEL && (!"active".equals(now.get().state()) || !java.util.Objects.equals(now.get().queryStart(), backend.queryStart()))) return true;
            try {
                Thread.sleep(50); // the backend acts on the signal at its next interrupt check
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }
}
