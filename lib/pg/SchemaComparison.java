import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Whether the tables of a schema without our history are the ones migrations/ make, column by column (name,
 * type with its modifiers, NOT NULL): what `start --baseline` checks before adopting a schema, and `status`
 * before advising it. The columns each migration leaves are kept in migrations/expected-columns.json
 * (ExpectedColumns), so comparing only reads the catalog: no scratch schema, no lock, fine on a read-only role or
 * a standby. The schema is compared with the columns after each migration; the version that matches is the one
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

    /** Compares the URL's schema, which has no history of ours, with every bundled migration (all pending there); reads only. */
    public static SchemaComparison of(PostgresUrl url) {
        return of(url, new SchemaMigrations(url).state().pending());
    }

    /** The same, with the bundled migrations Flyway lists for the schema (status has them at hand); reads only. */
    public static SchemaComparison of(PostgresUrl url, List<SchemaMigrations.Migration> bundled) {
        List<ExpectedColumns> expected = ExpectedColumns.after(bundled);
        try (Connection connection = url.connect()) {
            return closest(columnsOf(connection), expected);
        } catch (SQLException e) {
            throw new OxyError(ExitCode.FAILED, "comparing the schema with migrations/ failed: " + Cli.describe(e).lines().findFirst().orElse(""),
                "The comparison only reads the catalog; nothing was written.", e);
        }
    }

    /** The schema's columns against those after each migration, in order: the match, or the closest. */
    static SchemaComparison closest(Map<String, Map<String, String>> actual, List<ExpectedColumns> expected) {
        SchemaComparison closest = null;
        for (ExpectedColumns after : expected) {
            SchemaComparison candidate = compare(after.version(), after.tables(), actual);
            if (closest == null || candidate.differences.size() <= closest.differences.size()) closest = candidate;
        }
        if (closest == null) throw new OxyError(ExitCode.FAILED, "no migrations are bundled to compare the schema with", null);
        return closest;
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

    /**
     * table -> column -> "type [NOT NULL]", for the ordinary and partitioned tables of the connection's current schema
     * (ExpectedColumnsTest reads what migrations/ make with it too, so both sides are read alike).
     */
    static Map<String, Map<String, String>> columnsOf(Connection connection) throws SQLException {
        Map<String, Map<String, String>> tables = new LinkedHashMap<>();
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull "
                 + "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid "
                 + "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped "
                 + "AND c.relname <> 'flyway_schema_history' ORDER BY c.relname, a.attnum")) {
            while (rows.next()) {
                tables.computeIfAbsent(rows.getString(1), table -> new LinkedHashMap<>())
                    .put(rows.getString(2), rows.getString(3) + (rows.getBoolean(4) ? " NOT NULL" : ""));
            }
        }
        return tables;
    }
}
