import java.sql.Connection;
import java.sql.SQLException;

/**
 * What doctor's role may see: a superuser or a member of pg_monitor (pg_read_all_stats, pg_read_all_settings)
 * sees everything; any other role (a managed server's app user) sees other roles' sessions without their
 * query or state, and not the data directory. Checks say UNKNOWN for what is hidden, never fail.
 */
public record Visibility(String role, boolean superuser, boolean readAllStats, boolean readAllSettings, int serverVersionNumber) {

    public static Visibility of(Connection connection) throws SQLException {
        return HealthQueries.one(connection, """
            SELECT current_user, r.rolsuper, pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER'),
                   pg_has_role(current_user, 'pg_read_all_settings', 'MEMBER'), current_setting('server_version_num')::int
            FROM pg_roles r WHERE r.rolname = current_user""",
            row -> new Visibility(row.getString(1), row.getBoolean(2), row.getBoolean(3), row.getBoolean(4), row.getInt(5)));
    }

    public boolean seesAllSessions() { return superuser || readAllStats; }

    public boolean seesDataDirectory() { return superuser || readAllSettings; }

    /** What a role lacking the rights misses, in the words of the fix. */
    static final String GRANT_MONITOR = "GRANT pg_monitor TO <role> (as a superuser or the provider's admin role) shows them";
}
