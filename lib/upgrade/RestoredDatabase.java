import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/** The new server's database after the final backup's restore (an upgrade's, or a move's): checked before anyone uses it. */
public final class RestoredDatabase {
    private RestoredDatabase() {}

    /** Exact row counts as the backup's, then migrations/ and quick planner statistics. */
    public static void verify(PostgresUrl url, BackupManifest manifest, Console console) throws SQLException {
        try (Connection connection = url.connect()) {
            List<String> differences = RowCounts.differences(manifest.rowCounts(), RowCounts.exact(connection));
            if (!differences.isEmpty()) {
                throw new OxyError(ExitCode.VERIFICATION_FAILED, "row counts differ after the restore: " + differences.get(0),
                    "The old data is untouched; './jbang oxy upgrade --rollback' brings the old server back.", differences, null);
            }
            new SchemaMigrations(url).migrate();
            try (Statement statement = connection.createStatement()) {
                statement.execute("SET default_statistics_target = 10"); // planner statistics in seconds, not minutes; autovacuum refines them
                statement.execute("ANALYZE");
            }
        }
        console.ok("Row counts match (" + RowCounts.total(manifest.rowCounts()) + " rows); migrations applied; analyzed");
    }
}
