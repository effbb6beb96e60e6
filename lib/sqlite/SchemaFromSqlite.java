import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** SQLite declarations to PostgreSQL DDL: type affinities to types, INTEGER PRIMARY KEY to identity, function defaults translated. */
public final class SchemaFromSqlite {
    private SchemaFromSqlite() {}

    private static final DateTimeFormatter TIMESTAMPTZ = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSSSSSxxx", Locale.ROOT);

    /** PostgreSQL's system columns: no table can have a column of these names ("conflicts with a system column name"). */
    static final Set<String> SYSTEM_COLUMNS = Set.of("oid", "tableoid", "xmin", "cmin", "xmax", "cmax", "ctid");

    /** PostgreSQL keeps this many bytes of a name (NAMEDATALEN - 1) and silently cuts the rest. */
    public static final int MAX_NAME_BYTES = 63;

    /** A name as PostgreSQL keeps it: its first 63 bytes of UTF-8, cut before a character that does not fit whole. */
    public static String postgresName(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= MAX_NAME_BYTES) return name;
        int end = MAX_NAME_BYTES;
        while ((bytes[end] & 0xc0) == 0x80) end--; // bytes[end] is the first byte left out: never split its character
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }

    /**
     * What PostgreSQL would refuse of the tables --create-schema is about to create, each with what to do, said before
     * any is created: columns named like system columns, names longer than PostgreSQL keeps (two that become one, or one
     * the load would not find again), and a relation of the target schema (a view, a sequence, ...) holding a table's
     * name. otherRelations: the target schema's relations and types that are not tables, by name, as what they are.
     */
    public static List<String> cannotCreate(Collection<SqliteSchema.Table> tables, Map<String, String> otherRelations, String schema) {
        List<String> problems = new ArrayList<>();
        Map<String, List<String>> tableNames = byPostgresName(tables.stream().map(SqliteSchema.Table::name).toList());
        tableNames.forEach((kept, names) -> {
            String rename = "ALTER TABLE " + Databases.quote(names.get(names.size() - 1)) + " RENAME TO ...";
            if (names.size() > 1) problems.add(sameName("tables " + names.get(0) + " and " + names.get(1), kept, rename));
            else if (!kept.equals(names.get(0))) problems.add(tooLong("table " + names.get(0), kept, rename));
            if (otherRelations.containsKey(kept)) problems.add(schema + "." + kept + " is " + otherRelations.get(kept) + ", so --create-schema cannot create the table "
                + names.get(0) + " there: rename or drop it in PostgreSQL, or rename the table in SQLite");
        });
        for (SqliteSchema.Table table : tables) {
            String alter = "ALTER TABLE " + Databases.quote(table.name()) + " RENAME COLUMN ";
            for (SqliteSchema.Column column : table.columns()) {
                if (!SYSTEM_COLUMNS.contains(column.name())) continue;
                String quoted = Databases.quote(column.name()), renamed = Databases.quote(column.name() + "_"), name = Databases.quote(table.name());
                String fix = column.name().equals("oid") // SQLite neither renames nor drops a column named like its rowid alias
                    ? "SQLite cannot rename a column named oid: rebuild the table with it renamed, e.g. CREATE TABLE ... AS SELECT ..., " + quoted + " AS " + renamed
                        + " ... FROM " + name
                    : alter + quoted + " TO " + renamed;
                problems.add("column " + table.name() + "." + column.name() + " is named like a PostgreSQL system column, which no table can have: "
                    + "rename it in SQLite (" + fix + ")");
            }
            byPostgresName(table.columns().stream().map(SqliteSchema.Column::name).toList()).forEach((kept, names) -> {
                String rename = alter + Databases.quote(names.get(names.size() - 1)) + " TO ...";
                if (names.size() > 1) problems.add(sameName("columns " + table.name() + "." + names.get(0) + " and " + table.name() + "." + names.get(1), kept, rename));
                else if (!kept.equals(names.get(0))) problems.add(tooLong("column " + table.name() + "." + names.get(0), kept, rename));
            });
        }
        return problems;
    }

    /** Names grouped by what PostgreSQL keeps of them, in order. */
    private static Map<String, List<String>> byPostgresName(List<String> names) {
        Map<String, List<String>> groups = new LinkedHashMap<>();
        for (String name : names) groups.computeIfAbsent(postgresName(name), kept -> new ArrayList<>()).add(name);
        return groups;
    }

    private static String sameName(String both, String kept, String rename) {
        return both + " are the same name in PostgreSQL, which keeps the first " + MAX_NAME_BYTES + " bytes of a name (" + kept
            + "): rename one in SQLite (" + rename + ")";
    }

    private static String tooLong(String what, String kept, String rename) {
        return what + " is longer than the " + MAX_NAME_BYTES + " bytes PostgreSQL keeps of a name (it would become " + kept
            + ", which the load would not find): rename it in SQLite (" + rename + ")";
    }

    public static String createTable(SqliteSchema.Table table, Console console) {
        List<String> definitions = new ArrayList<>();
        List<SqliteSchema.Column> keys = table.columns().stream().filter(c -> c.primaryKeyIndex() > 0)
            .sorted((a, b) -> Integer.compare(a.primaryKeyIndex(), b.primaryKeyIndex())).toList();
        boolean rowidKey = keys.size() == 1 && keys.get(0).declaredType() != null && keys.get(0).declaredType().equalsIgnoreCase("INTEGER");
        for (SqliteSchema.Column column : table.columns()) {
            String type = rowidKey && keys.get(0) == column ? "bigint GENERATED BY DEFAULT AS IDENTITY" : typeFor(column.declaredType());
            StringBuilder definition = new StringBuilder(Databases.quote(column.name())).append(' ').append(type);
            if (column.notNull() && !(rowidKey && keys.get(0) == column)) definition.append(" NOT NULL");
            TranslatedDefault translated = translatedDefault(column.defaultValue(), type);
            String defaultValue = translated.sql();
            if (translated.whyDropped() != null) {
                console.warn("dropping the default " + column.defaultValue() + " of " + table.name() + "." + column.name() + ": " + translated.whyDropped());
            }
            if (defaultValue != null && !type.contains("IDENTITY")) definition.append(" DEFAULT ").append(defaultValue);
            definitions.add(definition.toString());
        }
        if (!keys.isEmpty()) definitions.add("PRIMARY KEY (" + String.join(", ", keys.stream().map(c -> Databases.quote(c.name())).toList()) + ")");
        return "CREATE TABLE " + Databases.quote(table.name()) + " (" + String.join(", ", definitions) + ")";
    }

    public static String typeFor(String declared) {
        String type = declared == null ? "" : declared.strip().toLowerCase(Locale.ROOT);
        if (type.contains("uuid")) return "uuid";
        if (type.contains("json")) return "jsonb";
        if (type.contains("timestamp") || type.contains("datetime")) return "timestamptz";
        if (type.equals("date")) return "date";
        if (type.startsWith("bool")) return "boolean";
        if (type.contains("int")) return "bigint";
        var varchar = Pattern.compile("(?:varchar|character varying|nvarchar)\\s*\\((\\d+)\\)").matcher(type);
        if (varchar.find()) return "varchar(" + varchar.group(1) + ")";
        if (type.contains("char") || type.contains("clob") || type.contains("text")) return "text";
        if (type.contains("blob")) return "bytea";
        if (type.contains("real") || type.contains("floa") || type.contains("doub")) return "double precision";
        if (type.contains("numeric") || type.contains("decimal")) return "numeric";
        return "text";
    }

    /**
     * SQLite's default as PostgreSQL's: the functions of the current time translated; a literal (number, string, x'..',
     * TRUE/FALSE) converted exactly as a value of the column is (so DATETIME DEFAULT 0 is the epoch, as a 0 in a row
     * moves) and written as a literal of the type; null where there is none (the caller drops it, saying why).
     */
    public static String defaultFor(String sqliteDefault, String type) {
        return translatedDefault(sqliteDefault, type).sql();
    }

    /** A default translated (sql) or, where it is dropped, why (sql null): no PostgreSQL equivalent, or what its conversion refused. */
    record TranslatedDefault(String sql, String whyDropped) {}

    static TranslatedDefault translatedDefault(String sqliteDefault, String type) {
        if (sqliteDefault == null) return new TranslatedDefault(null, null);
        String value = sqliteDefault.strip();
        while (value.startsWith("(") && value.endsWith(")")) value = value.substring(1, value.length() - 1).strip();
        String lower = value.toLowerCase(Locale.ROOT);
        if (lower.equals("current_timestamp") || lower.matches("datetime\\s*\\(\\s*'now'\\s*(,\\s*'(utc|localtime)'\\s*)?\\)")) return new TranslatedDefault("now()", null);
        if (lower.equals("current_date") || lower.matches("date\\s*\\(\\s*'now'\\s*\\)")) return new TranslatedDefault("current_date", null);
        if (lower.equals("current_time") || lower.matches("time\\s*\\(\\s*'now'\\s*\\)")) return new TranslatedDefault("current_time", null);
        if (lower.equals("null")) return new TranslatedDefault("NULL", null);
        Object literal = sqliteLiteral(value);
        if (literal == null) return new TranslatedDefault(null, "no PostgreSQL equivalent");
        TargetSchema.Column column = columnOf(type);
        try {
            return new TranslatedDefault(postgresLiteral(ValueConverter.forColumn(column, false).convert(literal), column), null);
        } catch (BadValue refused) {
            return new TranslatedDefault(null, refused.getMessage());
        }
    }

    /** A SQLite literal as a value of the row would read: Long or Double, String, byte[] for x'..', 1/0 for TRUE/FALSE; null if it is an expression. */
    private static Object sqliteLiteral(String value) {
        String lower = value.toLowerCase(Locale.ROOT);
        if (lower.equals("true")) return 1L;
        if (lower.equals("false")) return 0L;
        if (value.matches("[+-]?\\d+")) {
            try {
                return Long.parseLong(value.startsWith("+") ? value.substring(1) : value);
            } catch (NumberFormatException tooLarge) {
                return Double.parseDouble(value); // SQLite keeps integers past 64 bits as REAL
            }
        }
        if (value.matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?")) return Double.parseDouble(value);
        if (value.matches("'([^']|'')*'")) return value.substring(1, value.length() - 1).replace("''", "'");
        if (lower.matches("x'([0-9a-f]{2})*'")) return HexFormat.of().parseHex(lower.substring(2, lower.length() - 1));
        return null;
    }

    /** The target column createTable(...) declares for a type it chose, as TargetSchema would read it back. */
    private static TargetSchema.Column columnOf(String type) {
        var varchar = Pattern.compile("varchar\\((\\d+)\\)").matcher(type);
        if (varchar.matches()) return new TargetSchema.Column("default", "varchar", true, false, Integer.valueOf(varchar.group(1)));
        String udt = switch (type) {
            case "bigint" -> "int8";
            case "boolean" -> "bool";
            case "double precision" -> "float8";
            default -> type; // uuid, jsonb, timestamptz, date, numeric, text, bytea are their own names
        };
        return new TargetSchema.Column("default", udt, true, false, null);
    }

    /** A converted value written as a PostgreSQL literal of the column's type. */
    private static String postgresLiteral(Object value, TargetSchema.Column column) {
        if (value instanceof Boolean bool) return bool.toString();
        if (value instanceof Long || value instanceof BigDecimal) return value instanceof BigDecimal decimal ? decimal.toPlainString() : value.toString();
        if (value instanceof byte[] bytes) return "'\\x" + HexFormat.of().formatHex(bytes) + "'";
        String text;
        if (value instanceof OffsetDateTime timestamp) text = TIMESTAMPTZ.format(timestamp);
        else if (value instanceof Values.Utf8 utf8) text = utf8.text();
        else if (value instanceof Values.JsonText json) text = json.text();
        else if (value instanceof Values.JsonUtf8 json) text = json.text();
        else if (value instanceof Values.RawText raw) text = raw.text();
        else text = value.toString(); // String, UUID, LocalDate, Double (quoted: NaN and Infinity too)
        return "'" + text.replace("'", "''") + "'";
    }

    /** key: a foreign key as SqliteSchema.Table holds it; DEFERRABLE, so the load's SET CONSTRAINTS ALL DEFERRED covers it. */
    public static String addForeignKey(SqliteSchema.Table table, String[] key) {
        return "ALTER TABLE " + Databases.quote(table.name()) + " ADD FOREIGN KEY (" + Databases.quote(key[0]) + ") REFERENCES "
            + Databases.quote(key[1]) + (key[2] == null ? "" : " (" + Databases.quote(key[2]) + ")") + " DEFERRABLE";
    }
}
