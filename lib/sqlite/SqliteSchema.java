import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The tables of a SQLite file as SQLite declares them: columns, keys, foreign keys, whether rows have a rowid. */
public final class SqliteSchema {
    private SqliteSchema() {}

    public record Column(String name, String declaredType, boolean notNull, String defaultValue, int primaryKeyIndex) {}

    /** foreignKeys: {from column, parent table, parent column or null}; hasRowid: false for WITHOUT ROWID tables, whose rows are named by their key alone. */
    public record Table(String name, List<Column> columns, List<String[]> foreignKeys, boolean hasRowid) {}

    /** The file's tables by name, sorted; virtual tables count as plain ones (said on the console), their shadow tables not at all. */
    public static Map<String, Table> read(Connection sqlite, Console console) throws SQLException {
        Map<String, Table> tables = new LinkedHashMap<>();
        Map<String, Boolean> names = new TreeMap<>(); // name -> has a rowid
        List<String> virtual = new ArrayList<>(), shadow = new ArrayList<>();
        // SQLite's own list says what a table is: shadow tables (an FTS index's insides) are no data of their own
        try (Statement statement = sqlite.createStatement();
             ResultSet result = statement.executeQuery("SELECT name, type, wr FROM pragma_table_list WHERE schema = 'main' "
                 + "AND type IN ('table', 'virtual', 'shadow') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")) {
            while (result.next()) {
                String type = result.getString(2);
                if (type.equals("shadow")) shadow.add(result.getString(1));
                else names.put(result.getString(1), result.getInt(3) == 0);
                if (type.equals("virtual")) virtual.add(result.getString(1));
            }
        }
        if (!virtual.isEmpty()) {
            console.warn("Virtual table(s) " + virtual + " (full-text search and the like): their columns move as plain tables; "
                + "the index behind them does not (build one in PostgreSQL, e.g. with tsvector)");
        }
        if (!shadow.isEmpty()) console.info("Skipping " + shadow.size() + " shadow table(s) of those virtual tables: " + shadow);
        List<String> views = new ArrayList<>(), generated = new ArrayList<>();
        try (Statement statement = sqlite.createStatement();
             ResultSet result = statement.executeQuery("SELECT name FROM sqlite_schema WHERE type = 'view' ORDER BY name")) {
            while (result.next()) views.add(result.getString(1));
        }
        if (!views.isEmpty()) console.info("Skipping view(s) " + views + ": they hold no rows of their own (recreate them in PostgreSQL if you need them)");
        for (String name : names.keySet()) {
            // table_info leaves generated columns out: their values are computed, not stored data to move
            try (Statement statement = sqlite.createStatement(); ResultSet result = statement.executeQuery("PRAGMA table_xinfo(" + Databases.quote(name) + ")")) {
                while (result.next()) if (result.getInt("hidden") >= 2) generated.add(name + "." + result.getString("name"));
            }
        }
        if (!generated.isEmpty()) {
            console.warn("Generated column(s) " + generated + " are not moved (computed from the others): add them in PostgreSQL with "
                + "ALTER TABLE ... ADD COLUMN ... GENERATED ALWAYS AS (...) STORED if you need them");
        }
        for (String name : names.keySet()) {
            List<Column> columns = new ArrayList<>();
            try (Statement statement = sqlite.createStatement(); ResultSet result = statement.executeQuery("PRAGMA table_info(" + Databases.quote(name) + ")")) {
                while (result.next()) {
                    columns.add(new Column(result.getString("name"), result.getString("type"), result.getInt("notnull") == 1,
                        result.getString("dflt_value"), result.getInt("pk")));
                }
            }
            List<String[]> foreignKeys = new ArrayList<>();
            try (Statement statement = sqlite.createStatement(); ResultSet result = statement.executeQuery("PRAGMA foreign_key_list(" + Databases.quote(name) + ")")) {
                while (result.next()) foreignKeys.add(new String[] {result.getString("from"), result.getString("table"), result.getString("to")});
            }
            tables.put(name, new Table(name, columns, foreignKeys, names.get(name)));
        }
        return tables;
    }
}
