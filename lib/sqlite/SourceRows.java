import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.sqlite.core.Codes;
import org.sqlite.core.CoreStatement;
import org.sqlite.core.SafeStmtPtr;

/** The rows of a planned table read from the SQLite file, each value converted by its target column's type. */
public final class SourceRows {
    /** One row's values and their COPY encoding must fit in the heap together, with room to spare. */
    public static final long MAX_ROW_BYTES = Runtime.getRuntime().maxMemory() / 4;
    /** PostgreSQL stores a larger bytea, but its text form ("\\x" and two hex digits a byte) passes the 1 GB allocation limit: no pg_dump, no --verify could read it back. */
    static final long MAX_BYTEA_BYTES = (0x3fffffffL - 3) / 2;

    /**
     * What a walk saw: every row the table holds (read), those handed on (neither orphans skipped nor bad), and the
     * text values whose bytes were not UTF-8 and had them replaced (--replace-invalid-utf8).
     */
    public record Walked(long read, long rows, long replaced, long largestRow) {}

    /** Takes each converted row with its number (from 1). */
    @FunctionalInterface
    public interface RowSink {
        void accept(Object[] values, long number) throws SQLException;
    }

    private final Connection sqlite;
    private final boolean stripNul;
    private final boolean replaceInvalidUtf8;

    /** stripNul: as --strip-nul, NULs removed instead of refused; replaceInvalidUtf8: as --replace-invalid-utf8, bad bytes made U+FFFD instead. */
    public SourceRows(Connection sqlite, boolean stripNul, boolean replaceInvalidUtf8) {
        this.sqlite = sqlite;
        this.stripNul = stripNul;
        this.replaceInvalidUtf8 = replaceInvalidUtf8;
    }

    /**
     * Streams a table's source rows, orphans in skip left out, each value converted by its target column's type,
     * to the sink; returns how many rows it read and handed on. A bad value goes to onBadValue, which throws (the load) or
     * records it (the dry run, which goes on converting, and leaves that row out). The values array is reused from row to row.
     */
    public Walked walk(TablePlan table, Set<Long> skip, RowSink sink, Consumer<OxyError> onBadValue) throws SQLException {
        List<ValueConverter> converters = table.targetColumns().stream().map(this::converterFor).toList();
        boolean[] notNull = new boolean[converters.size()];
        for (int i = 0; i < notNull.length; i++) notNull[i] = !table.target().columns().get(table.columns().get(i)).nullable();
        boolean[] asBytes = textAsBytes(table);
        boolean[] keptAsText = keptAsText(table, asBytes);
        boolean[] textual = keptAsText(table, allTrue(asBytes.length));
        boolean[] bytea = new boolean[asBytes.length];
        for (int i = 0; i < bytea.length; i++) bytea[i] = table.targetColumns().get(i).category() == TypeCategory.BYTEA;
        long rows = 0, read = 0, replaced = 0, largestRow = 0;
        try (Statement statement = sqlite.createStatement(); ResultSet result = statement.executeQuery(selectRows(table))) {
            SafeStmtPtr cursor = ((CoreStatement) statement).pointer;
            Object[] values = new Object[converters.size()];
            while (result.next()) {
                read++;
                long rowid = result.getLong(1);
                if (skip.contains(rowid)) continue;
                try {
                    long rowBytes = 0;
                    boolean bad = false;
                    for (int i = 0; i < values.length; i++) {
                        Object raw = asBytes[i] ? textAsBytes(result, cursor, i + 2) : result.getObject(i + 2);
                        rowBytes += raw instanceof byte[] bytes ? bytes.length : raw instanceof String text ? 2L * text.length()
                            : raw instanceof Values.Utf8 utf8 ? utf8.bytes().length : 8;
                        try {
                            if (raw == null && notNull[i]) throw new BadValue("NULL, but the PostgreSQL column is NOT NULL");
                            if (bytea[i] && byteLength(raw) > MAX_BYTEA_BYTES) throw new BadValue(byteLength(raw) / (1 << 20) + " MB, more than a bytea can be read back: "
                                + "PostgreSQL would store it, but its text form (twice as long) passes the 1 GB limit, so pg_dump, --verify and most clients fail on it");
                            if (keptAsText[i] && raw instanceof Values.Utf8 utf8) {
                                Values.Utf8 checked = Values.wellFormed(utf8, replaceInvalidUtf8); // refused, or a new value with U+FFFD
                                if (checked != utf8) replaced++;
                                raw = checked;
                            } else if (textual[i] && raw instanceof byte[] blob) { // a BLOB kept as text: held to UTF-8 alike
                                Values.Utf8 checked = Values.blobAsText(blob, replaceInvalidUtf8);
                                if (checked.bytes() != blob) replaced++;
                                raw = checked;
                            }
                            values[i] = raw == null ? null : converters.get(i).convert(raw);
                        } catch (BadValue reason) {
                            values[i] = null;
                            bad = true;
                            onBadValue.accept(badValue(table, result, rowid, table.columns().get(i), raw, reason.getMessage()));
                        }
                    }
                    if (bad) continue; // the dry run goes on without the row: its other values are listed, it is not loaded
                    if (rowBytes > MAX_ROW_BYTES) { // the dry run says so too: it converts but does not encode
                        Arrays.fill(values, null);
                        onBadValue.accept(rowTooLarge(table, result, rowid));
                        continue;
                    }
                    largestRow = Math.max(largestRow, rowBytes);
                    sink.accept(values, ++rows);
                } catch (OutOfMemoryError tooLarge) {
                    Arrays.fill(values, null); // what the row held is garbage by now
                    throw rowTooLarge(table, result, rowid);
                }
            }
        }
        return new Walked(read, rows, replaced, largestRow);
    }

    /**
     * The columns whose SQLite TEXT is read as its UTF-8 bytes (Values.Utf8) instead of a String the driver decodes
     * (a replacement character for each bad sequence, unsaid): text, JSON and other types PostgreSQL parses (their
     * bytes held to UTF-8 first), bytea (the bytes as they are), and uuids, timestamps and dates (their common forms
     * parsed from the bytes), in a file that stores its text as UTF-8.
     */
    private boolean[] textAsBytes(TablePlan table) throws SQLException {
        boolean[] asBytes = new boolean[table.columns().size()];
        String encoding;
        try (Statement statement = sqlite.createStatement(); ResultSet result = statement.executeQuery("PRAGMA encoding")) {
            encoding = result.next() ? result.getString(1) : "";
        }
        if (!encoding.equalsIgnoreCase("UTF-8")) return asBytes; // UTF-16 files: their bytes are not what COPY takes
        for (int i = 0; i < asBytes.length; i++) {
            TargetSchema.Column column = table.targetColumns().get(i);
            asBytes[i] = switch (column.category()) {
                case TEXT, JSON, OTHER, BYTEA -> true;
                case UUID, TIMESTAMPTZ, TIMESTAMP, DATE -> true; // parsed from the bytes in their common forms
                default -> false; // numbers and booleans: text there is refused whatever its bytes
            };
        }
        return asBytes;
    }

    /**
     * The columns read as bytes whose text is kept (text, JSON, types PostgreSQL parses): bytes that are not UTF-8 are
     * refused there, or replaced. A uuid or timestamp of such bytes is refused as what it is not; bytea takes any bytes.
     */
    private static boolean[] keptAsText(TablePlan table, boolean[] asBytes) {
        boolean[] kept = new boolean[asBytes.length];
        for (int i = 0; i < kept.length; i++) {
            TypeCategory category = table.targetColumns().get(i).category();
            kept[i] = asBytes[i] && (category == TypeCategory.TEXT || category == TypeCategory.JSON || category == TypeCategory.OTHER);
        }
        return kept;
    }

    private static long byteLength(Object raw) {
        return raw instanceof byte[] bytes ? bytes.length : raw instanceof Values.Utf8 utf8 ? utf8.bytes().length : 0;
    }

    private static boolean[] allTrue(int length) {
        boolean[] all = new boolean[length];
        Arrays.fill(all, true);
        return all;
    }

    /** A value of the current row: SQLite TEXT as its bytes, any other storage class as getObject gives it. */
    private static Object textAsBytes(ResultSet result, SafeStmtPtr cursor, int column) throws SQLException {
        int storageClass = cursor.safeRunInt((db, statement) -> db.column_type(statement, column - 1));
        return storageClass == Codes.SQLITE_TEXT ? new Values.Utf8(result.getBytes(column)) : result.getObject(column);
    }

    private ValueConverter converterFor(TargetSchema.Column column) {
        return ValueConverter.forColumn(column, stripNul);
    }

    /** The source rows of a planned table: rowid first, then the mapped columns in plan order. */
    private static String selectRows(TablePlan table) {
        return "SELECT " + (table.source().hasRowid() ? "rowid" : "NULL") + ", " + String.join(", ", table.columns().stream().map(Databases::quote).toList())
            + " FROM " + Databases.quote(table.source().name());
    }

    private OxyError rowTooLarge(TablePlan table, ResultSet row, long rowid) {
        return new OxyError(ExitCode.REFUSED, "table " + table.name() + ", " + rowIdentity(table, row, rowid) + ": the row is too large to move "
            + "in one piece (more than " + MAX_ROW_BYTES / (1 << 20) + " MB of values, a quarter of the " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MB heap)",
            "No row was written. Shrink that row's values in SQLite (a file that large belongs beside the database, not in it).");
    }

    private OxyError badValue(TablePlan table, ResultSet row, long rowid, String column, Object raw, String reason) {
        return new OxyError(ExitCode.REFUSED,
            "table " + table.name() + ", " + rowIdentity(table, row, rowid) + ", column " + column + ": " + reason + " (value: " + preview(raw) + ")",
            "No row was written. Fix the value in SQLite" + (reason.contains("NUL") ? ", or rerun with --strip-nul."
                : Values.isNotUtf8(reason) ? ", or rerun with --replace-invalid-utf8 (its bad bytes become U+FFFD)." : "."));
    }

    /** The row's primary key as the target will hold it (raw where it does not convert), and its rowid. */
    private String rowIdentity(TablePlan table, ResultSet row, long rowid) {
        List<String> parts = new ArrayList<>();
        for (String key : table.target().primaryKey()) {
            int index = table.columns().indexOf(key);
            if (index < 0) continue;
            try {
                Object raw = row.getObject(index + 2);
                Object shown = raw;
                try {
                    if (raw != null) shown = converterFor(table.target().columns().get(key)).convert(raw);
                } catch (BadValue ignored) {
                    // show the raw value
                }
                parts.add(key + "=" + preview(shown));
            } catch (SQLException e) {
                parts.add(key + "=?");
            }
        }
        if (table.source().hasRowid()) parts.add("rowid " + rowid);
        return String.join(", ", parts);
    }

    private static String preview(Object value) {
        if (value == null) return "NULL";
        if (value instanceof byte[] bytes) {
            String hex = HexFormat.of().formatHex(bytes, 0, Math.min(bytes.length, 24));
            return "x'" + hex + (bytes.length > 24 ? "..." : "") + "' (" + bytes.length + " bytes)";
        }
        if (value instanceof Values.Utf8 utf8) return Values.isWellFormedUtf8(utf8.bytes()) ? preview(utf8.text()) : preview(utf8.bytes()); // bad bytes shown as bytes
        if (value instanceof UUID || value instanceof Number || value instanceof Boolean) return value.toString();
        String text = String.valueOf(value).replace("\0", "\\0").replace("\n", "\\n");
        return "'" + (text.length() > 60 ? text.substring(0, 60) + "..." : text) + "'";
    }
}
