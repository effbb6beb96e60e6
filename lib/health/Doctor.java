import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * doctor's engine: every check over one connection, read-only (the session is set read-only before the first
 * query), in Check.Kind's order. The script only prints what this returns.
 */
public final class Doctor {
    private Doctor() {}

    /** What doctor found: who looked with which rights, on which server, and the checks. */
    public record Findings(String serverVersion, String database, Visibility visibility, List<Check> checks) {
        public Check.Level worst() {
            return checks.stream().map(Check::level).filter(l -> l == Check.Level.WARN || l == Check.Level.CRIT)
                .max(java.util.Comparator.naturalOrder()).orElse(Check.Level.OK);
        }

        public long count(Check.Level level) { return checks.stream().filter(c -> c.level() == level).count(); }
    }

    public static Findings examine(DatabaseRuntime runtime, RuntimeOptions options, Thresholds thresholds) {
        PostgresUrl url = runtime.url();
        try (Connection connection = url.connect()) {
            connection.setReadOnly(true); // doctor reads only: the server refuses any write in this session
            try (var statement = connection.createStatement()) {
                statement.execute("SET statement_timeout = '30s'"); // a catalog query stuck behind a lock must not hang a monitor
                statement.execute("SET lock_timeout = '2s'");
            }
            Visibility visibility = Visibility.of(connection);
            List<Check> checks = new ArrayList<>();
            checks.addAll(SessionChecks.run(connection, thresholds, visibility));
            checks.addAll(VacuumChecks.run(connection, thresholds));
            checks.addAll(SchemaChecks.run(connection, thresholds));
            checks.addAll(ServerChecks.run(connection, thresholds, visibility));
            checks.add(DiskSpace.check(runtime, connection, visibility, thresholds));
            checks.add(BackupCheck.check(options, url.database(), thresholds));
            checks.add(ServerChecks.dataChecksums(connection, visibility));
            String version = HealthQueries.one(connection, "SELECT current_setting('server_version')", row -> row.getString(1));
            return new Findings(version, url.database(), visibility, checks);
        } catch (SQLException e) {
            if (e.getSQLState() != null && e.getSQLState().startsWith("08") || "28P01".equals(e.getSQLState()) || "3D000".equals(e.getSQLState())) throw url.unavailable(e);
            throw new OxyError(ExitCode.FAILED, "a check failed: " + e.getMessage(), "Run again with --verbose and report it; nothing was changed.", e);
        }
    }
}
