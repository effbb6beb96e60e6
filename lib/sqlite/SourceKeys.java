import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/** Key lookups in the SQLite file that see one value alike in every form it converts from (a uuid as text or as a blob). */
public final class SourceKeys {
    private SourceKeys() {}

    /**
     * SQLite compares raw values, so a uuid stored as text in one table and as a blob in another looks like an
     * orphan; a reported row is an orphan only when no parent holds its key in any uuid form.
     */
    public static boolean isOrphan(Connection sqlite, String table, long rowid, String parent, int foreignKeyId) throws SQLException {
        List<String[]> pairs = new ArrayList<>();
        try (Statement statement = sqlite.createStatement(); ResultSet keys = statement.executeQuery("PRAGMA foreign_key_list(" + Databases.quote(table) + ")")) {
            while (keys.next()) if (keys.getInt("id") == foreignKeyId) pairs.add(new String[] {keys.getString("from"), keys.getString("to")});
        }
        if (pairs.size() != 1) return true; // composite keys: SQLite's verdict stands
        String parentColumn = pairs.get(0)[1];
        if (parentColumn == null) {
            try (Statement statement = sqlite.createStatement(); ResultSet columns = statement.executeQuery("PRAGMA table_info(" + Databases.quote(parent) + ")")) {
                while (columns.next()) if (columns.getInt("pk") == 1) parentColumn = columns.getString("name");
            }
        }
        Object value;
        try (PreparedStatement statement = sqlite.prepareStatement("SELECT " + Databases.quote(pairs.get(0)[0]) + " FROM " + Databases.quote(table) + " WHERE rowid = ?")) {
            statement.setLong(1, rowid);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) return true;
                value = row.getObject(1);
            }
        }
        return !parentHas(sqlite, parent, parentColumn, value);
    }

    /** Whether the parent has the value in that column, in any of the forms that convert to the same value (uuid text or blob). */
    public static boolean parentHas(Connection sqlite, String parent, String parentColumn, Object value) throws SQLException {
        List<Object> forms = new ArrayList<>(List.of(value));
        try {
            UUID uuid = Values.uuid(value);
            ByteBuffer bytes = ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
            String text = uuid.toString();
            forms = List.of(bytes.array(), text, text.toUpperCase(Locale.ROOT), text.replace("-", ""), text.replace("-", "").toUpperCase(Locale.ROOT));
        } catch (BadValue notAUuid) {
            // compare as it is
        }
        String sql = "SELECT 1 FROM " + Databases.quote(parent) + " WHERE " + Databases.quote(parentColumn) + " IN ("
            + String.join(", ", forms.stream().map(form -> "?").toList()) + ") LIMIT 1";
        try (PreparedStatement statement = sqlite.prepareStatement(sql)) {
            for (int i = 0; i < forms.size(); i++) statement.setObject(i + 1, forms.get(i));
            try (ResultSet found = statement.executeQuery()) {
                return found.next();
            }
        }
    }

    /** A SQLite expression that is equal for two values exactly when they convert to equal target values (as far as SQL can tell). */
    public static String comparable(String column, TargetSchema.Column target) {
        String quoted = Databases.quote(column);
        return switch (target.category()) {
            case UUID -> "lower(CASE typeof(" + quoted + ") WHEN 'blob' THEN hex(" + quoted + ") ELSE replace(" + quoted + ", '-', '') END)";
            case INTEGER -> "CAST(" + quoted + " AS INTEGER)";
            default -> quoted;
        };
    }
}
