import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tables and indexes migrations/ make, where the current schema was migrated by us or by the app's own migrator:
 * there a table without a key or a second index on a column is the app's design (Oxy's checkpoints have no key;
 * users.email has its unique constraint and an index), not the operator's to change, so doctor names it without a warning.
 */
final class AppSchema {
    private static final Pattern CREATED = Pattern.compile("(?i)\\bCREATE\\s+(?:UNIQUE\\s+)?(TABLE|INDEX)\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?([a-z_][a-z0-9_]*)");
    private static final AppSchema NONE = new AppSchema(Set.of(), Set.of());

    private final Set<String> tables;
    private final Set<String> indexes;

    private AppSchema(Set<String> tables, Set<String> indexes) {
        this.tables = tables;
        this.indexes = indexes;
    }

    /** The app's objects as schema.name (as format('%I.%I') gives them), or none where the schema is not the app's. */
    static AppSchema of(Connection connection) throws SQLException {
        String schema = HealthQueries.one(connection, "SELECT current_schema()", row -> row.getString(1));
        boolean migrated = HealthQueries.one(connection, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() "
            + "AND tablename IN ('flyway_schema_history', 'seaql_migrations')", row -> row.getLong(1)) > 0;
        if (schema == null || !migrated) return NONE;
        Set<String> tables = new HashSet<>();
        Set<String> indexes = new HashSet<>();
        for (ExpectedColumns migration : ExpectedColumns.kept()) {
            Matcher created = CREATED.matcher(script(migration.script()));
            while (created.find()) (created.group(1).equalsIgnoreCase("TABLE") ? tables : indexes).add(schema + "." + created.group(2).toLowerCase());
        }
        return new AppSchema(tables, indexes);
    }

    boolean madeTable(String qualifiedName) { return tables.contains(qualifiedName); }

    boolean madeIndex(String qualifiedName) { return indexes.contains(qualifiedName); }

    private static String script(String name) {
        try (InputStream in = AppSchema.class.getResourceAsStream("/migrations/" + name)) {
            return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return ""; // unreadable: its objects get the warnings any table would
        }
    }
}
