import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** pg_stat_activity, read once: connections against max_connections, long queries and transactions, idle in transaction, who blocks whom. */
final class SessionChecks {
    private SessionChecks() {}

    /** One client session as pg_stat_activity shows it to us; state null: another role's, hidden without pg_read_all_stats. */
    record Session(int pid, String user, String application, String state, Double querySeconds, Double transactionSeconds,
                   Double stateSeconds, String query, List<Integer> blockedBy) {

        String who() {
            return "pid " + pid + " (" + (user == null ? "?" : user) + (application.isEmpty() ? "" : ", " + application) + ")";
        }
    }

    static List<Check> run(Connection connection, Thresholds thresholds, Visibility visibility) throws SQLException {
        // other roles' sessions show no backend_type, state or query without pg_read_all_stats: a user and a database tell a client's
        // pg_blocking_pids takes the lock manager's locks: asked only of sessions that wait on a lock
        List<Session> sessions = HealthQueries.rows(connection, """
            SELECT pid, usename, coalesce(application_name, ''), state,
                   extract(epoch FROM now() - query_start)::float8, extract(epoch FROM now() - xact_start)::float8,
                   extract(epoch FROM now() - state_change)::float8, left(regexp_replace(query, '\\s+', ' ', 'g'), 80),
                   CASE WHEN wait_event_type = 'Lock' THEN pg_blocking_pids(pid) END
            FROM pg_stat_activity
            WHERE (backend_type = 'client backend' OR backend_type IS NULL AND datid IS NOT NULL AND usesysid IS NOT NULL) AND pid <> pg_backend_pid()""",
            row -> new Session(row.getInt(1), row.getString(2), row.getString(3), row.getString(4), (Double) row.getObject(5),
                (Double) row.getObject(6), (Double) row.getObject(7), row.getString(8),
                row.getArray(9) == null ? List.of() : List.of((Integer[]) row.getArray(9).getArray())));
        int[] limits = HealthQueries.one(connection, "SELECT current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int",
            row -> new int[] {row.getInt(1), row.getInt(2)});
        long hidden = sessions.stream().filter(s -> s.state() == null).count();
        List<Check> checks = new ArrayList<>();
        checks.add(connections(sessions.size() + 1, limits[0], limits[1], sessions, thresholds));
        checks.add(longRunning(Check.Kind.LONG_QUERIES, sessions.stream().filter(s -> "active".equals(s.state()) && exceeds(s.querySeconds(), thresholds.longQuery())).toList(),
            Session::querySeconds, thresholds, hidden, "running", "Cancel the query (the session stays): ./jbang oxy doctor --cancel %d"));
        checks.add(longRunning(Check.Kind.LONG_TRANSACTIONS, sessions.stream().filter(s -> exceeds(s.transactionSeconds(), thresholds.longQuery())).toList(),
            Session::transactionSeconds, thresholds, hidden, "open",
            "A long transaction holds back vacuum everywhere; end it: ./jbang oxy doctor --terminate %d"));
        checks.add(longRunning(Check.Kind.IDLE_IN_TRANSACTION, sessions.stream()
                .filter(s -> s.state() != null && s.state().startsWith("idle in transaction") && exceeds(s.stateSeconds(), thresholds.longQuery())).toList(),
            Session::stateSeconds, thresholds, hidden, "idle",
            "The app opened a transaction and stopped talking (it holds its locks); end it: ./jbang oxy doctor --terminate %d"
                + " (or SET idle_in_transaction_session_timeout)"));
        checks.add(blocked(sessions, thresholds, hidden));
        return checks;
    }

    private static boolean exceeds(Double seconds, java.time.Duration threshold) {
        return seconds != null && seconds * 1000 >= threshold.toMillis();
    }

    private static Check connections(int used, int max, int reserved, List<Session> sessions, Thresholds thresholds) {
        double percent = 100.0 * used / max;
        Map<String, Integer> holders = new LinkedHashMap<>();
        for (Session s : sessions) {
            String key = (s.application().isEmpty() ? "(no application_name)" : s.application()) + ", " + (s.user() == null ? "?" : s.user())
                + ", " + (s.state() == null ? "state hidden" : s.state());
            holders.merge(key, 1, Integer::sum);
        }
        holders.merge("doctor itself", 1, Integer::sum);
        List<String> details = holders.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
            .map(e -> e.getValue() + " \u00d7 " + e.getKey()).toList();
        Check.Level level = percent >= thresholds.connectionsCriticalPercent() ? Check.Level.CRIT
            : percent >= thresholds.connectionsWarnPercent() ? Check.Level.WARN : Check.Level.OK;
        return Check.of(Check.Kind.CONNECTIONS, level, used + " of max_connections " + max + " (" + HealthQueries.percent(percent) + "; "
                + reserved + " reserved for superusers)",
            "Close idle sessions or lower the app's pool size; a pooler (PgBouncer) lets many clients share few connections",
            HealthQueries.firstFew(details, 6));
    }

    private static Check longRunning(Check.Kind kind, List<Session> found, java.util.function.Function<Session, Double> seconds, Thresholds thresholds,
                                     long hidden, String verb, String adviceFormat) {
        String over = "over " + HealthQueries.duration(thresholds.longQuery().toMillis() / 1000.0);
        if (found.isEmpty()) {
            if (hidden > 0) return Check.unknown(kind, "none " + over + " among our sessions; " + hidden + " session(s) of other roles are hidden (" + Visibility.GRANT_MONITOR + ")");
            return Check.ok(kind, "none " + over);
        }
        List<Session> longestFirst = found.stream().sorted(java.util.Comparator.comparing(seconds).reversed()).toList();
        List<String> details = longestFirst.stream()
            .map(s -> s.who() + " " + verb + " " + HealthQueries.duration(seconds.apply(s)) + ": " + (s.query() == null ? "" : s.query())).toList();
        return Check.of(kind, Check.Level.WARN, found.size() + " " + over + ", the longest " + HealthQueries.duration(seconds.apply(longestFirst.get(0))),
            String.format(adviceFormat, longestFirst.get(0).pid()), HealthQueries.firstFew(details, 5));
    }

    private static Check blocked(List<Session> sessions, Thresholds thresholds, long hidden) {
        // a waiting query's wait began at most when it became active
        List<Session> waiting = sessions.stream().filter(s -> !s.blockedBy().isEmpty() && exceeds(s.stateSeconds(), thresholds.lockWait())).toList();
        String over = "waiting over " + HealthQueries.duration(thresholds.lockWait().toMillis() / 1000.0);
        if (waiting.isEmpty()) {
            if (hidden > 0) return Check.unknown(Check.Kind.BLOCKED_SESSIONS, "none " + over + " among our sessions; " + hidden + " of other roles are hidden");
            return Check.ok(Check.Kind.BLOCKED_SESSIONS, "none " + over + " for a lock");
        }
        Map<Integer, Session> byPid = new LinkedHashMap<>();
        sessions.forEach(s -> byPid.put(s.pid(), s));
        List<String> details = waiting.stream().map(s -> s.who() + " waits " + HealthQueries.duration(s.stateSeconds()) + " for "
            + String.join(", ", s.blockedBy().stream().map(b -> byPid.containsKey(b) ? byPid.get(b).who() + " [" + byPid.get(b).state() + "]" : "pid " + b).toList())
            + ": " + s.query()).toList();
        // the root: a blocker that is not itself waiting
        int root = waiting.stream().flatMap(s -> s.blockedBy().stream())
            .filter(b -> !byPid.containsKey(b) || byPid.get(b).blockedBy().isEmpty()).findFirst().orElse(waiting.get(0).blockedBy().get(0));
        return Check.of(Check.Kind.BLOCKED_SESSIONS, Check.Level.WARN, waiting.size() + " session(s) " + over + " for a lock held by pid " + root,
            "See what pid " + root + " does, then end it if it should not hold the lock: ./jbang oxy doctor --cancel " + root + " (or --terminate " + root + ")",
            HealthQueries.firstFew(details, 5));
    }
}
