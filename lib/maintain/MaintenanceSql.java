import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** maintain's statements: one column of text back, or a statement run so that Ctrl+C can cancel it on the server. */
final class MaintenanceSql {
    private MaintenanceSql() {}

    static List<String> strings(Connection connection, String sql, Object... parameters) throws SQLException {
        List<String> values = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) statement.setObject(i + 1, parameters[i]);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) values.add(rows.getString(1));
            }
        }
        return values;
    }

    /**
     * Runs one statement; a Ctrl+C or SIGTERM meanwhile cancels it on the server (the JVM alone stopping would
     * leave the backend working), and onInterrupt says what that leaves behind.
     */
    static void runCancellable(Connection connection, String sql, Runnable onInterrupt) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            Thread cancel = new Thread(() -> {
                try {
                    statement.cancel();
                } catch (SQLException ignored) {
                    // the statement already ended
                }
                onInterrupt.run();
            }, "cancel-on-interrupt");
            Runtime.getRuntime().addShutdownHook(cancel);
            try {
                statement.execute(sql);
            } finally {
                Cli.removeShutdownHook(cancel);
            }
        }
    }
}
