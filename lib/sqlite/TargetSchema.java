import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The target database's tables in the current schema, as the migration needs them: columns by type, keys, constraints, indexes. */
public final class TargetSchema {
    private TargetSchema() {}

    /** type: pg_type's name (information_schema's udt_name), e.g. int8, timestamptz, jsonb. */
    public record Column(String name, String type, boolean nullable, boolean hasDefault, Integer maxLength) {
        public TypeCategory category() { return TypeCategory.of(type); }
    }

    /** parents: the tables its foreign keys point at. */
    public record Table(String name, Map<String, Column> columns, List<String> primaryKey, Set<String> parents) {}

    /** A key, unique constraint or (non-partial) unique index of a target table, or a foreign key with its parent's columns. */
    public record Constraint(String table, String name, String kind, List<String> columns, String parent, List<String> parentColumns) {}

    /** Every base table but the migration ledgers, by name, sorted. */
    public static Map<String, Table> read(Connection pg) throws SQLException {
        Map<String, Table> tables = new TreeMap<>();
        String columnsSql = "SELECT c.table_name, c.column_name, c.udt_name, c.is_nullable = 'YES', "
            + "c.column_default IS NOT NULL OR c.is_identity = 'YES' OR c.is_generated = 'ALWAYS', c.character_maximum_length "
            + "FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name) "
            + "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' ORDER BY c.table_name, c.ordinal_position";
        try (Statement statement = pg.createStatement(); ResultSet result = statement.executeQuery(columnsSql)) {
            while (result.next()) {
                String table = result.getString(1);
                if (TablePlan.LEDGERS.contains(table)) continue;
                tables.computeIfAbsent(table, name -> new Table(name, new LinkedHashMap<>(), new ArrayList<>(), new LinkedHashSet<>()))
                    .columns().put(result.getString(2), new Column(result.getString(2), result.getString(3), result.getBoolean(4),
                        result.getBoolean(5), (Integer) result.getObject(6)));
            }
        }
        String keysSql = "SELECT con.conrelid::regclass::text, con.contype, con.confrelid::regclass::text, "
            + "array_to_string(ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a "
            + "ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i), ',') "
            + "FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace WHERE n.nspname = current_schema() AND con.contype IN ('p', 'f')";
        try (Statement statement = pg.createStatement(); ResultSet result = statement.executeQuery(keysSql)) {
            while (result.next()) {
                Table table = tables.get(unquote(result.getString(1)));
                if (table == null) continue;
                if (result.getString(2).equals("p")) table.primaryKey().addAll(List.of(result.getString(4).split(",")));
                else table.parents().add(unquote(result.getString(3)));
            }
        }
        return tables;
    }

    /** Keys, unique constraints, foreign keys and the unique indexes no constraint owns. */
    public static List<Constraint> constraints(Connection pg) throws SQLException {
        String columnsOf = "array_to_string(ARRAY(SELECT a.attname FROM unnest(%s) WITH ORDINALITY k(n, i) JOIN pg_attribute a "
            + "ON a.attrelid = %s AND a.attnum = k.n ORDER BY k.i), ',')";
        String sql = "SELECT con.conrelid::regclass::text, con.conname, con.contype::text, " + String.format(columnsOf, "con.conkey", "con.conrelid")
            + ", con.confrelid::regclass::text, " + String.format(columnsOf, "con.confkey", "con.confrelid") + " FROM pg_constraint con "
            + "JOIN pg_namespace n ON n.oid = con.connamespace WHERE n.nspname = current_schema() AND con.contype IN ('p', 'u', 'f') "
            + "UNION ALL SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, 'i', " + String.format(columnsOf, "i.indkey::int2[]", "i.indrelid")
            + ", NULL, NULL FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            + "WHERE n.nspname = current_schema() AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL "
            + "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)";
        List<Constraint> constraints = new ArrayList<>();
        try (Statement statement = pg.createStatement(); ResultSet result = statement.executeQuery(sql)) {
            while (result.next()) {
                String parent = result.getString(5);
                constraints.add(new Constraint(unquote(result.getString(1)), result.getString(2), result.getString(3),
                    List.of(result.getString(4).split(",")), parent == null ? null : unquote(parent),
                    parent == null ? List.of() : List.of(result.getString(6).split(","))));
            }
        }
        return constraints;
    }

    /** Tables outside `tables` whose foreign keys lead into them, directly or through each other, with their row counts. */
    public static Map<String, Long> referencing(Connection pg, Set<String> tables) throws SQLException {
        Map<String, Set<String>> referencedBy = new HashMap<>();
        String sql = "SELECT con.confrelid::regclass::text, con.conrelid::regclass::text FROM pg_constraint con "
            + "JOIN pg_namespace n ON n.oid = con.connamespace WHERE con.contype = 'f' AND n.nspname = current_schema()";
        try (Statement statement = pg.createStatement(); ResultSet result = statement.executeQuery(sql)) {
            while (result.next()) referencedBy.computeIfAbsent(unquote(result.getString(1)), k -> new LinkedHashSet<>()).add(unquote(result.getString(2)));
        }
        Map<String, Long> found = new LinkedHashMap<>();
        Deque<String> todo = new ArrayDeque<>(tables);
        while (!todo.isEmpty()) {
            for (String child : referencedBy.getOrDefault(todo.pop(), Set.of())) {
                if (tables.contains(child) || found.containsKey(child)) continue;
                try (Statement statement = pg.createStatement(); ResultSet count = statement.executeQuery("SELECT count(*) FROM " + Databases.quote(child))) {
                    count.next();
                    found.put(child, count.getLong(1));
                }
                todo.push(child);
            }
        }
        return found;
    }

    /**
     * One key, unique constraint, index or foreign key to build again after the load: its table, name, columns
     * (empty where an expression is indexed) and, for a partial index, its WHERE predicate (else null).
     */
    public record Rebuild(String sql, String table, String name, boolean foreignKey, List<String> columns, String predicate) {}

    /** How to drop the keys, constraints and indexes of some tables (and the foreign keys into them), and to build them again. */
    public record KeysAndIndexes(List<String> drops, List<Rebuild> keys, List<Rebuild> foreignKeys) {
        /** Keys and indexes first, then the foreign keys that need them. */
        public List<Rebuild> rebuild() {
            List<Rebuild> all = new ArrayList<>(keys);
            all.addAll(foreignKeys);
            return all;
        }
    }

    /** Drops with foreign keys first (they depend on the keys); rebuilds in the reverse order: keys, indexes, then foreign keys. */
    public static KeysAndIndexes keysAndIndexes(Connection pg, List<String> tableNames) throws SQLException {
        String tables = "ARRAY[" + String.join(", ", tableNames.stream().map(name -> "'" + Databases.quote(name).replace("'", "''") + "'::regclass").toList()) + "]";
        String indexColumns = "array_to_string(ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o) JOIN pg_attribute a "
            + "ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o), chr(31)), i.indexprs IS NOT NULL, pg_get_expr(i.indpred, i.indrelid)";
        List<String> drops = new ArrayList<>();
        List<Rebuild> keys = new ArrayList<>();
        List<Rebuild> indexes = new ArrayList<>();
        List<Rebuild> foreignKeys = new ArrayList<>();
        String constraintsSql = "SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid), c.contype, c.conname, "
            + indexColumns + " FROM pg_constraint c LEFT JOIN pg_index i ON i.indexrelid = c.conindid AND c.contype <> 'f' "
            + "WHERE c.contype IN ('p', 'u', 'f') AND (c.conrelid = ANY(" + tables + ") OR c.confrelid = ANY(" + tables + ")) "
            + "ORDER BY c.contype = 'f' DESC"; // foreign keys are dropped first, since they depend on the keys
        try (Statement statement = pg.createStatement(); ResultSet result = statement.executeQuery(constraintsSql)) {
            while (result.next()) {
                drops.add("ALTER TABLE " + result.getString(1) + " DROP CONSTRAINT " + result.getString(2));
                String add = "ALTER TABLE " + result.getString(1) + " ADD CONSTRAINT " + result.getString(2) + " " + result.getString(3);
                boolean foreign = result.getString(4).equals("f");
                (foreign ? foreignKeys : keys).add(new Rebuild(add, unquote(result.getString(1)), result.getString(5), foreign,
                    columnsOf(result.getString(6), result.getBoolean(7)), result.getString(8)));
            }
        }
        String indexesSql = "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), i.indrelid::regclass::text, c.relname, "
            + indexColumns + " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = ANY(" + tables + ") "
            + "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)";
        try (Statement statement = pg.createStatement(); ResultSet result = statement.executeQuery(indexesSql)) {
            while (result.next()) {
                drops.add("DROP INDEX " + result.getString(1));
                indexes.add(new Rebuild(result.getString(2), unquote(result.getString(3)), result.getString(4), false,
                    columnsOf(result.getString(5), result.getBoolean(6)), result.getString(7)));
            }
        }
        keys.addAll(indexes);
        return new KeysAndIndexes(drops, keys, foreignKeys);
    }

    /** An index's plain columns; none where it indexes an expression (then no SQL over its columns can be written). */
    private static List<String> columnsOf(String joined, boolean hasExpressions) {
        return joined == null || joined.isEmpty() || hasExpressions ? List.of() : List.of(joined.split("\u001f"));
    }

    /** A table's name from regclass text, which schema-qualifies and quotes where needed. */
    private static String unquote(String regclass) {
        String name = regclass.contains(".") ? regclass.substring(regclass.lastIndexOf('.') + 1) : regclass;
        return name.startsWith("\"") ? name.substring(1, name.length() - 1).replace("\"\"", "\"") : name;
    }
}
