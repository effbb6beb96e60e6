import com.fasterxml.jackson.annotation.JsonInclude;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The roles a database's objects name, which pg_dump does not dump: owners of its schemas, tables, sequences,
 * functions and types, roles in its grants and default privileges, and the roles those are members of. A backup
 * records them so a restore onto a new server can create the missing ones first; an existing role is never
 * altered. Built-in roles (pg_*) are never recorded as roles, only as groups others are members of.
 */
public final class DatabaseRoles {
    private DatabaseRoles() {}

    public enum Attribute { SUPERUSER, LOGIN, CREATEDB, CREATEROLE, INHERIT, REPLICATION, BYPASSRLS }

    /** member of group; inherit and set: PostgreSQL 16+ grant options (null before). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Membership(String group, boolean admin, Boolean inherit, Boolean set) {}

    /** One role as the source had it; passwordHash (pg_authid's SCRAM or md5 verifier) only when the backing-up role could read it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Role(String name, Set<Attribute> attributes, int connectionLimit, Instant validUntil, String passwordHash, List<Membership> memberOf) {
        public Role withoutPassword() {
            return new Role(name, attributes, connectionLimit, validUntil, null, memberOf);
        }

        /** "app (LOGIN, CREATEDB, CONNECTION LIMIT 7, password; member of readers)": never the hash itself. */
        public String describe() {
            List<String> parts = new ArrayList<>();
            // in the enum's order, whatever set the manifest was read into
            java.util.Arrays.stream(Attribute.values()).filter(a -> attributes.contains(a) && a != Attribute.SUPERUSER && a != Attribute.INHERIT).forEach(a -> parts.add(a.name()));
            if (!attributes.contains(Attribute.INHERIT)) parts.add("NOINHERIT");
            if (connectionLimit >= 0) parts.add("CONNECTION LIMIT " + connectionLimit);
            if (validUntil != null) parts.add("VALID UNTIL " + validUntil);
            if (passwordHash != null) parts.add("password");
            if (attributes.contains(Attribute.SUPERUSER)) parts.add("without the source's SUPERUSER");
            String members = memberOf.isEmpty() ? "" : (parts.isEmpty() ? "" : "; ") + "member of "
                + memberOf.stream().map(Membership::group).collect(Collectors.joining(", "));
            return name + (parts.isEmpty() && members.isEmpty() ? "" : " (" + String.join(", ", parts) + members + ")");
        }
    }

    /** Catalog objects in the database's own schemas, and every role pg_shdepend ties to the database (ACLs, default privileges, policies, owners). */
    private static final String NAMED_ROLES = """
        WITH RECURSIVE own_namespaces AS (
          SELECT oid, nspname, nspowner FROM pg_namespace
           WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%'
        ), named(oid) AS (
          SELECT refobjid FROM pg_shdepend
           WHERE refclassid = 'pg_authid'::regclass AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          UNION SELECT nspowner FROM own_namespaces WHERE nspname <> 'public'
          UNION SELECT relowner FROM pg_class WHERE relnamespace IN (SELECT oid FROM own_namespaces)
          UNION SELECT proowner FROM pg_proc WHERE pronamespace IN (SELECT oid FROM own_namespaces)
          UNION SELECT typowner FROM pg_type WHERE typnamespace IN (SELECT oid FROM own_namespaces)
        ), closure(oid) AS (
          SELECT oid FROM named
          UNION SELECT m.roleid FROM pg_auth_members m JOIN closure c ON m.member = c.oid
        )
        SELECT r.rolname, r.rolsuper, r.rolcanlogin, r.rolcreatedb, r.rolcreaterole, r.rolinherit, r.rolreplication, r.rolbypassrls,
               r.rolconnlimit, r.rolvaliduntil
          FROM pg_roles r JOIN closure c ON c.oid = r.oid
         WHERE r.rolname NOT LIKE 'pg\\_%'
         ORDER BY r.rolname
        """;

    /** The roles the connected database's objects name, with attributes, memberships and (superuser only) password hashes. */
    public static List<Role> namedBy(Connection connection, boolean withPasswords) throws SQLException {
        Map<String, Role> roles = new LinkedHashMap<>();
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(NAMED_ROLES)) {
            while (rows.next()) {
                Set<Attribute> attributes = EnumSet.noneOf(Attribute.class);
                Attribute[] columns = {Attribute.SUPERUSER, Attribute.LOGIN, Attribute.CREATEDB, Attribute.CREATEROLE, Attribute.INHERIT,
                    Attribute.REPLICATION, Attribute.BYPASSRLS};
                for (int i = 0; i < columns.length; i++) if (rows.getBoolean(2 + i)) attributes.add(columns[i]);
                java.sql.Timestamp validUntil = rows.getTimestamp("rolvaliduntil");
                // 'infinity' reads as a far-future instant: the same as no limit
                Instant until = validUntil == null || validUntil.toInstant().isAfter(Instant.parse("9999-01-01T00:00:00Z")) ? null : validUntil.toInstant();
                roles.put(rows.getString(1), new Role(rows.getString(1), attributes, rows.getInt("rolconnlimit"), until, null, List.of()));
            }
        }
        if (roles.isEmpty()) return List.of();
        Map<String, List<Membership>> memberships = memberships(connection, roles.keySet());
        Map<String, String> hashes = withPasswords && mayReadPasswords(connection) ? passwordHashes(connection, roles.keySet()) : Map.of();
        return roles.values().stream().map(r -> new Role(r.name(), r.attributes(), r.connectionLimit(), r.validUntil(), hashes.get(r.name()),
            memberships.getOrDefault(r.name(), List.of()))).toList();
    }

    /** pg_authid is readable by superusers only: asked first, as a refused query would end the dump's snapshot transaction. */
    private static boolean mayReadPasswords(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SELECT has_table_privilege('pg_catalog.pg_authid', 'SELECT')")) {
            return result.next() && result.getBoolean(1);
        }
    }

    private static Map<String, String> passwordHashes(Connection connection, Set<String> names) throws SQLException {
        Map<String, String> hashes = new LinkedHashMap<>();
        try (PreparedStatement query = connection.prepareStatement("SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY(?) AND rolpassword IS NOT NULL")) {
            query.setArray(1, textArray(connection, names));
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) hashes.put(rows.getString(1), rows.getString(2));
            }
        }
        return hashes;
    }

    private static Map<String, List<Membership>> memberships(Connection connection, Set<String> members) throws SQLException {
        boolean grantOptions = connection.getMetaData().getDatabaseMajorVersion() >= 16;
        String sql = "SELECT u.rolname, g.rolname, m.admin_option" + (grantOptions ? ", m.inherit_option, m.set_option" : "")
            + " FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member"
            + " WHERE u.rolname = ANY(?) ORDER BY u.rolname, g.rolname";
        Map<String, Map<String, Membership>> found = new LinkedHashMap<>();
        try (PreparedStatement query = connection.prepareStatement(sql)) {
            query.setArray(1, textArray(connection, members));
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    // 16+ may hold one grant per grantor: the first says what the membership is
                    found.computeIfAbsent(rows.getString(1), m -> new LinkedHashMap<>()).putIfAbsent(rows.getString(2), new Membership(rows.getString(2),
                        rows.getBoolean(3), grantOptions ? rows.getBoolean(4) : null, grantOptions ? rows.getBoolean(5) : null));
                }
            }
        }
        Map<String, List<Membership>> result = new LinkedHashMap<>();
        found.forEach((member, groups) -> result.put(member, List.copyOf(groups.values())));
        return result;
    }

    /** Of roles, those the connected server has no role of that name for. */
    public static List<Role> missingOn(Connection connection, List<Role> roles) throws SQLException {
        Set<String> existing = existing(connection, roles.stream().map(Role::name).collect(Collectors.toSet()));
        return roles.stream().filter(r -> !existing.contains(r.name())).toList();
    }

    private static Set<String> existing(Connection connection, Set<String> names) throws SQLException {
        Set<String> existing = new java.util.HashSet<>();
        try (PreparedStatement query = connection.prepareStatement("SELECT rolname FROM pg_roles WHERE rolname = ANY(?)")) {
            query.setArray(1, textArray(connection, names));
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) existing.add(rows.getString(1));
            }
        }
        return existing;
    }

    /**
     * Creates the roles (none of which exists) in one transaction, then their memberships in groups the server has:
     * all or nothing. Over JDBC, so no password hash is ever a process argument. Never SUPERUSER: a backup is data,
     * and the server has its own superuser. Returns the memberships left out because the group is not on this server.
     */
    public static List<String> create(Connection connection, List<Role> missing) throws SQLException {
        boolean grantOptions = connection.getMetaData().getDatabaseMajorVersion() >= 16;
        Set<String> groupsHere = new java.util.HashSet<>(existing(connection,
            missing.stream().flatMap(r -> r.memberOf().stream().map(Membership::group)).collect(Collectors.toSet())));
        missing.forEach(r -> groupsHere.add(r.name()));
        List<String> leftOut = new ArrayList<>();
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
            for (Role role : missing) statement.execute(createRole(role));
            for (Role role : missing) {
                for (Membership membership : role.memberOf()) {
                    if (!groupsHere.contains(membership.group())) {
                        leftOut.add(role.name() + " in " + membership.group());
                        continue;
                    }
                    statement.execute(grant(role.name(), membership, grantOptions));
                }
            }
            connection.commit();
            return leftOut;
        } catch (SQLException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    /** Drops roles this restore created, when the restore then failed: they own nothing once its database is gone. */
    public static void dropQuietly(Connection connection, List<Role> created) {
        for (Role role : created) {
            try (Statement statement = connection.createStatement()) {
                statement.execute("DROP ROLE IF EXISTS " + Databases.quote(role.name()));
            } catch (SQLException ignored) {
                // it owns something after all: left, and the failure said what happened
            }
        }
    }

    private static String createRole(Role role) {
        Set<Attribute> attributes = role.attributes();
        StringBuilder sql = new StringBuilder("CREATE ROLE ").append(Databases.quote(role.name())).append(" WITH");
        for (Attribute attribute : Attribute.values()) {
            if (attribute == Attribute.SUPERUSER) continue;
            sql.append(attributes.contains(attribute) ? " " : " NO").append(attribute.name());
        }
        sql.append(" CONNECTION LIMIT ").append(role.connectionLimit());
        if (role.validUntil() != null) sql.append(" VALID UNTIL ").append(literal(role.validUntil().toString()));
        // a SCRAM or md5 verifier is stored as it is: the server recognises it and does not hash it again
        if (role.passwordHash() != null) sql.append(" PASSWORD ").append(literal(role.passwordHash()));
        return sql.toString();
    }

    private static String grant(String member, Membership membership, boolean grantOptions) {
        List<String> options = new ArrayList<>();
        if (membership.admin()) options.add("ADMIN OPTION");
        if (grantOptions && Boolean.FALSE.equals(membership.inherit())) options.add("INHERIT FALSE");
        if (grantOptions && Boolean.FALSE.equals(membership.set())) options.add("SET FALSE");
        return "GRANT " + Databases.quote(membership.group()) + " TO " + Databases.quote(member) + (options.isEmpty() ? "" : " WITH " + String.join(", ", options));
    }

    private static String literal(String text) { return "'" + text.replace("'", "''") + "'"; }

    private static Array textArray(Connection connection, Set<String> names) throws SQLException {
        return connection.createArrayOf("text", names.toArray());
    }

    /** "app, reader, readers" */
    public static String names(List<Role> roles) { return roles.stream().map(Role::name).collect(Collectors.joining(", ")); }
}
