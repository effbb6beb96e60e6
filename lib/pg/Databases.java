import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** Whole databases on a server, managed from its maintenance database: create, drop, rename, list by prefix. */
public final class Databases {
    private final PostgresUrl server;

    /** url: any database on the server; work happens from the maintenance database "postgres". */
    public Databases(PostgresUrl url) { this.server = url.withDatabase("postgres"); }

    public static String quote(String identifier) { return "\"" + identifier.replace("\"", "\"\"") + "\""; }

    /** The server's version as it says it: "18.1", or "18.1 (Debian 18.1-1.pgdg13+2)". */
    public static String serverVersion(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SELECT current_setting('server_version')")) {
            result.next();
            return result.getString(1);
        }
    }

    public boolean exists(String name) {
        return names("SELECT datname FROM pg_database WHERE datname = ?", name).size() == 1;
    }

    /** Names starting with prefix, sorted. */
    public List<String> withPrefix(String prefix) {
        return names("SELECT datname FROM pg_database WHERE starts_with(datname, ?) ORDER BY datname", prefix);
    }

    private List<String> names(String query, String parameter) {
        try (Connection connection = server.connect(); PreparedStatement statement = connection.prepareStatement(query)) {
            statement.setString(1, parameter);
            List<String> names = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) names.add(rows.getString(1));
            }
            return names;
        } catch (SQLException e) {
            throw server.unavailable(e);
        }
    }

    /** Whether the user may create databases (managed services often say no). */
    public boolean mayCreate() {
        try (Connection connection = server.connect();
             Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user")) {
            return row.next() && row.getBoolean(1);
        } catch (SQLException e) {
            throw server.unavailable(e);
        }
    }

    public void create(String name) throws SQLException {
        execute("CREATE DATABASE " + quote(name));
    }

    /**
     * A new database copied from template (its objects, encoding and locale) and owned by owner. PostgreSQL
     * refuses while anyone else is connected to the template.
     */
    public void createFrom(String name, String template, String owner) throws SQLException {
        execute("CREATE DATABASE " + quote(name) + " TEMPLATE " + quote(template) + " OWNER " + quote(owner));
        // a template gives its objects, not its grants: those are the template's access rules, so they come along
        for (String grant : names("SELECT CASE WHEN a.grantee IS NULL THEN 'REVOKE ALL ON DATABASE {db} FROM PUBLIC' "
            + "ELSE format('GRANT %s ON DATABASE {db} TO %s%s', a.privilege_type, CASE a.grantee WHEN 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END, "
            + "CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) END "
            + "FROM pg_database d LEFT JOIN LATERAL (SELECT NULL::oid AS grantee, NULL::text AS privilege_type, false AS is_grantable UNION ALL "
            + "SELECT e.grantee, e.privilege_type, e.is_grantable FROM aclexplode(d.datacl) e WHERE e.grantee <> d.datdba) a ON true "
            + "WHERE d.datname = ? AND d.datacl IS NOT NULL ORDER BY a.grantee NULLS FIRST", template)) {
            execute(grant.replaceFirst("\\{db}", java.util.regex.Matcher.quoteReplacement(quote(name))));
        }
    }

    /** ALTER DATABASE … SET settings of a database (for it or one role in it), which a copy from it as a template lacks. */
    public List<String> settings(String name) {
        return names("SELECT coalesce(pg_get_userbyid(NULLIF(s.setrole, 0)) || ': ', '') || c FROM pg_db_role_setting s "
            + "JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) c WHERE d.datname = ? ORDER BY 1", name);
    }

    /** The role owning the database (only it, its members and superusers may rename or drop it). */
    public String owner(String name) {
        return names("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = ?", name).get(0);
    }

    /** Whether this user has the owner's rights on the database: owner, member of the owning role, or superuser. */
    public boolean mayOwn(String name) {
        return !names("SELECT datname FROM pg_database WHERE datname = ? AND pg_has_role(datdba, 'USAGE')", name).isEmpty();
    }

    /** Drops a database, ending its sessions first (PostgreSQL 13+). */
    public void drop(String name) throws SQLException {
        execute("DROP DATABASE IF EXISTS " + quote(name) + " WITH (FORCE)");
    }

    /** drop(), for clean-up paths: what cannot be dropped now is dropped by the next run. */
    public void dropQuietly(String name) {
        try {
            drop(name);
        } catch (SQLException | RuntimeException ignored) {
            // the next run drops it
        }
    }

    public void execute(String sql) throws SQLException {
        try (Connection connection = server.connect(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    public Connection connect() throws SQLException { return server.connect(); }

    /** Bytes on disk, for progress lines; 0 when it cannot be read. */
    public long sizeOf(String name) {
        try (Connection connection = server.connect();
             PreparedStatement query = connection.prepareStatement("SELECT pg_database_size(?)")) {
            query.setString(1, name);
            try (ResultSet row = query.executeQuery()) {
                return row.next() ? row.getLong(1) : 0;
            }
        } catch (SQLException e) {
            return 0;
        }
    }
}
