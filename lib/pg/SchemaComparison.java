import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Whether the tables of a schema without our history are the ones migrations/ make, column by column (name,
 * type with its modifiers, NOT NULL): what `start --baseline` checks before adopting a schema, and `status`
 * before advising it. The migrations run in a scratch schema inside a transaction that is rolled back, so
 * nothing is left behind; after each one the columns are compared, and the version that matches is the one
 * to record (the newest when several do, the one with the fewest differences when none does).
 *
 * @param version      the bundled migration the schema was compared with (the last one the scripts ran up to)
 * @param differences  what differs, one line each ("column users.role is text, migrations/ make it character varying")
 * @param appTables    how many of the tables migrations/ make are in the schema by name
 * @param otherTables  tables in the schema that migrations/ do not make: not the app's, allowed, left alone
 */
public record SchemaComparison(String version, List<String> differences, int appTables, List<String> otherTables) {

    public boolean matches() { return differences.isEmpty(); }

    /** The first few differences and how many more, for a message. */
    public List<String> firstDifferences(int few) {
        if (differences.size() <= few) return differences;
        List<String> lines = new ArrayList<>(differences.subList(0, few));
        lines.add("... and " + (differences.size() - few) + " more");
        return lines;
    }

    /** Compares the URL's schema, which has no history of ours, with every bundled migration (all pending there). */
    public static SchemaComparison of(PostgresUrl url) {
        List<SchemaMigrations.Migration> bundled = new SchemaMigrations(url).state().pending();
        try (Connection connection = url.connect()) {
            return of(connection, bundled);
        } catch (SQLException e) {
            throw new OxyError(ExitCode.FAILED, "comparing the schema with migrations/ failed: " + Cli.describe(e).lines().findFirst().orElse(""),
                "The comparison creates a scratch schema it rolls back, so the user needs CREATE on the database; nothing was written.", e);
        }
    }

    /** Compares the connection's current schema with the migrations, in order; the connection's transaction is rolled back after. */
    public static SchemaComparison of(Connection connection, List<SchemaMigrations.Migration> migrations) throws SQLException {
        List<String> scripts = SchemaMigrations.scriptsOf(migrations);
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
            Map<String, Map<String, String>> actual = columnsOf(connection, "current_schema()");
            String scratch = "oxy_ops_compare_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            statement.execute("CREATE SCHEMA " + scratch);
            statement.execute("SET LOCAL search_path TO " + scratch);
            SchemaComparison closest = null;
            for (int i = 0; i < scripts.size(); i++) {
                statement.execute(scripts.get(i));
                SchemaComparison candidate = compare(migrations.get(i).version(), columnsOf(connection, "'" + scratch + "'"), actual);
                if (closest == null || candidate.differences.size() <= closest.differences.size()) closest = candidate;
            }
            if (closest == null) throw new OxyError(ExitCode.FAILED, "no migrations are bundled to compare the schema with", null);
            return closest;
        } finally {
            connection.rollback();
            connection.setAutoCommit(autoCommit);
        }
    }

    private static SchemaComparison compare(String version, Map<String, Map<String, String>> expected, Map<String, Map<String, String>> actual) {
        List<String> differences = new ArrayList<>();
        int appTables = 0;
        for (var table : expected.entrySet()) {
            Map<String, String> columns = actual.get(table.getKey());
            if (columns == null) {
                differences.add("table " + table.getKey() + " is missing");
                continue;
            }
            appTables++;
            table.getValue().forEach((column, type) -> {
                String found = columns.get(column);
                String name = "column " + table.getKey() + "." + column;
                if (found == null) differences.add(name + " is missing");
                else if (!found.equals(type)) differences.add(name + " is " + found + ", migrations/ make it " + type);
            });
            columns.keySet().stream().filter(column -> !table.getValue().containsKey(column))
                .forEach(column -> differences.add("column " + table.getKey() + "." + column + " is not in migrations/"));
        }
        List<String> otherTables = actual.keySet().stream().filter(table -> !expected.containsKey(table)).toList();
        return new SchemaComparison(version, differences, appTables, otherTables);
    }

    /** table -> column -> "type [NOT NULL]", for the ordinary and partitioned tables of a schema (an SQL expression). */
    private static Map<String, Map<String, String>> columnsOf(Connection connection, String schema) throws SQLException {
        Map<String, Map<String, String>> tables = new LinkedHashMap<>();
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull "
                 + "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid "
                 + "WHERE n.nspname = " + schema + " AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped "
                 + "AND c.relname <> 'flyway_schema_history' ORDER BY c.relname, a.attnum")) {
            while (rows.next()) {
                tables.computeIfAbsent(rows.getString(1), table -> new LinkedHashMap<>())
                    .put(rows.getString(2), rows.getString(3) + (rows.getBoolean(4) ? " NOT NULL" : ""));
            }
        }
        return tables;
    }
}
