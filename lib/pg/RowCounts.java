import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Exact row counts of every user table ("schema.table"), to prove a backup or restore holds what it should. */
public final class RowCounts {
    private RowCounts() {}

    public static Map<String, Long> exact(Connection connection) throws SQLException {
        Map<String, Long> counts = new TreeMap<>();
        try (Statement statement = connection.createStatement()) {
            for (String table : tables(connection)) {
                try (ResultSet count = statement.executeQuery("SELECT count(*) FROM " + table)) {
                    count.next();
                    counts.put(table, count.getLong(1));
                }
            }
        }
        return counts;
    }

    /** Every user table, as "schema.table" quoted where needed. */
    public static List<String> tables(Connection connection) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("""
                 SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                   AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
                 ORDER BY 1""")) {
            while (rows.next()) tables.add(rows.getString(1));
        }
        return tables;
    }

    /** "public.users: 3 expected, 2 found" for each table whose count differs (tables only one side has included). */
    public static List<String> differences(Map<String, Long> expected, Map<String, Long> actual) {
        List<String> differences = new ArrayList<>();
        for (var entry : expected.entrySet()) {
            Long found = actual.get(entry.getKey());
            if (!entry.getValue().equals(found)) {
                differences.add(entry.getKey() + ": " + entry.getValue() + " expected, " + (found == null ? "table missing" : found + " found"));
            }
        }
        return differences;
    }

    /** Throws (exit 9) when actual differs from expected; whose counts they are goes in the message ("the manifest"). */
    public static void requireMatching(Map<String, Long> expected, Map<String, Long> actual, String expectedFrom, String hint) {
        List<String> differences = differences(expected, actual);
        if (!differences.isEmpty()) {
            throw new OxyError(ExitCode.VERIFICATION_FAILED, "row counts differ from " + expectedFrom + ": " + differences.get(0),
                hint, differences, null);
        }
    }

    public static long total(Map<String, Long> counts) {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }
}
