import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/** What maintain works on: the whole database, one table, or one index, resolved the way PostgreSQL resolves a name (to_regclass). */
public record MaintenanceTarget(Kind kind, String name, List<String> tables) {
    public enum Kind { DATABASE, TABLE, INDEX }

    /** The tables (leaf partitions included) of the database's own schemas, largest first. */
    private static final String USER_TABLES = """
        SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'
        ORDER BY pg_table_size(c.oid) DESC""";

    /** name null or empty: the whole database; else a table or index name as SQL writes it (schema.name, quoted when needed). */
    public static MaintenanceTarget resolve(Connection connection, String name, boolean indexAllowed) throws SQLException {
        if (name == null || name.isBlank()) {
            return new MaintenanceTarget(Kind.DATABASE, null, MaintenanceSql.strings(connection, USER_TABLES));
        }
        List<String> found = MaintenanceSql.strings(connection, """
            SELECT c.relkind::text || ' ' || format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.oid = to_regclass(?)""", name);
        if (found.isEmpty()) {
            throw new OxyError(ExitCode.USAGE, "no table " + (indexAllowed ? "or index " : "") + "named " + name + " in this database",
                "Give it as in SQL (schema.table; quote mixed case: '\"MyTable\"'); ./jbang oxy doctor lists the largest. Nothing was done.");
        }
        char kind = found.get(0).charAt(0);
        String qualified = found.get(0).substring(2);
        if (kind == 'i' && indexAllowed) return new MaintenanceTarget(Kind.INDEX, qualified, MaintenanceSql.strings(connection,
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "WHERE i.indexrelid = to_regclass(?)", qualified));
        if (kind == 'r' || kind == 'm' || kind == 'p') return new MaintenanceTarget(Kind.TABLE, qualified, List.of(qualified));
        throw new OxyError(ExitCode.USAGE, name + " is not a table" + (indexAllowed ? " or an index" : ""), "Nothing was done.");
    }

    public String describe() {
        return switch (kind) {
            case DATABASE -> "every table of the database (" + tables.size() + ")";
            case TABLE -> "table " + name;
            case INDEX -> "index " + name;
        };
    }
}
