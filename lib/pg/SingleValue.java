import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** One value from the database a URL names: the first column of the first row (a count, a size, a setting). */
public final class SingleValue {
    private SingleValue() {}

    /** As text; exit 3 with what to do when the server does not answer. */
    public static String text(PostgresUrl url, String sql) {
        try (Connection connection = url.connect(); Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery(sql)) {
            result.next();
            return result.getString(1);
        } catch (SQLException e) {
            throw url.unavailable(e);
        }
    }

    public static long number(PostgresUrl url, String sql) {
        return Long.parseLong(text(url, sql));
    }

    /** The database's bytes on disk. */
    public static long databaseSize(PostgresUrl url) {
        return number(url, "SELECT pg_database_size(current_database())");
    }
}
