import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** The few lines every check family needs to read catalog rows over doctor's one connection. */
final class HealthQueries {
    private HealthQueries() {}

    /** The schemas a check looks at: the database's own, never PostgreSQL's catalogs, TOAST or temporary schemas (alias n). */
    static final String USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'";

    interface RowReader<T> {
        T read(ResultSet row) throws SQLException;
    }

    static <T> List<T> rows(Connection connection, String sql, RowReader<T> reader, Object... parameters) throws SQLException {
        List<T> rows = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) statement.setObject(i + 1, parameters[i]);
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) rows.add(reader.read(result));
            }
        }
        return rows;
    }

    static <T> T one(Connection connection, String sql, RowReader<T> reader, Object... parameters) throws SQLException {
        return rows(connection, sql, reader, parameters).get(0);
    }

    static String percent(double value) {
        return String.format(java.util.Locale.ROOT, value >= 10 || value == 0 ? "%.0f%%" : "%.1f%%", value);
    }

    /** "3m 20s", "2h 5m", "4d 1h": how long something has run. */
    static String duration(double seconds) {
        long whole = (long) seconds;
        if (whole < 60) return String.format(java.util.Locale.ROOT, "%.1fs", seconds);
        if (whole < 3600) return whole / 60 + "m " + whole % 60 + "s";
        if (whole < 86400) return whole / 3600 + "h " + whole % 3600 / 60 + "m";
        return whole / 86400 + "d " + whole % 86400 / 3600 + "h";
    }

    /** The first few of a list, and how many more there are: details stay one screen. */
    static List<String> firstFew(List<String> lines, int few) {
        if (lines.size() <= few) return lines;
        List<String> shown = new ArrayList<>(lines.subList(0, few));
        shown.add("... and " + (lines.size() - few) + " more");
        return shown;
    }
}
