import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * PostgreSQL's refusal of the loaded rows, said as migrate_sqlite says it in the dry run and the real run alike
 * (both meet it on the same load): the table, the constraint, the first offending key and what to do, with an
 * SQL to run on the SQLite file where one helps. Never a hint that does not apply to the refusal at hand.
 */
public final class LoadRefusal {
    private LoadRefusal() {}

    private static final String NOTHING_WRITTEN = "Nothing was written.";
    private static final Pattern NOT_NULL_PREDICATE = Pattern.compile("\\(?\"?([^\"()]+)\"? IS NOT NULL\\)?");

    /**
     * A key, unique constraint, unique index or foreign key that could not be built over the loaded rows.
     * duplicatedKeys: how many keys appear more than once (counted after the failure), or -1.
     */
    public static OxyError ofRebuild(SQLException error, TargetSchema.Rebuild rebuild, TablePlan table, Path sqliteFile, long duplicatedKeys) {
        ServerErrorMessage server = server(error);
        String state = error.getSQLState() == null ? "" : error.getSQLState();
        String detail = server == null || server.getDetail() == null ? "" : server.getDetail().strip();
        String where = "table " + rebuild.table() + ", " + kindOf(rebuild) + " " + rebuild.name()
            + (rebuild.predicate() == null ? "" : " (WHERE " + rebuild.predicate().replaceAll("^\\((.*)\\)$", "$1") + ")");
        if (state.equals("23505")) {
            String key = detail.replaceFirst("^Key ", "").replaceFirst(" is duplicated\\.?$", "");
            String count = duplicatedKeys == 1 ? "1 key appears more than once" : duplicatedKeys > 1 ? duplicatedKeys + " keys appear more than once" : "duplicate keys";
            return new OxyError(ExitCode.REFUSED, where + ": " + count + ", first " + shorten(key), duplicatesHint(rebuild, table, sqliteFile));
        }
        if (state.equals("23503")) {
            return new OxyError(ExitCode.REFUSED, where + ": " + shorten(detail.replaceFirst("\\.$", "")),
                "Fix or delete those rows of " + rebuild.table() + " in SQLite: the rows they point to are missing. " + NOTHING_WRITTEN, error);
        }
        return new OxyError(ExitCode.REFUSED, where + " cannot be built over the loaded rows: " + firstLine(error) + (detail.isEmpty() ? "" : " (" + shorten(detail) + ")"),
            NOTHING_WRITTEN, error);
    }

    /** COPY refused a row of a table: a check constraint, NOT NULL, a value out of the target type's range. */
    public static OxyError ofCopy(SQLException error, String table) {
        ServerErrorMessage server = server(error);
        String state = error.getSQLState() == null ? "" : error.getSQLState();
        String detail = server == null || server.getDetail() == null ? "" : " (" + shorten(server.getDetail().strip()) + ")";
        if (state.equals("23514") && server != null) {
            return new OxyError(ExitCode.REFUSED, "table " + table + ", check constraint " + server.getConstraint() + ": a row breaks it" + detail,
                "Fix that row in SQLite (or, if the check does not fit your data, drop it in the target first). " + NOTHING_WRITTEN, error);
        }
        if (state.equals("23502") && server != null) {
            return new OxyError(ExitCode.REFUSED, "table " + table + ", column " + server.getColumn() + ": NULL, but the PostgreSQL column is NOT NULL" + detail,
                "Fill that value in SQLite, or give the target column a default. " + NOTHING_WRITTEN, error);
        }
        if (state.startsWith("22")) {
            String at = server == null || server.getWhere() == null ? "" : " at " + server.getWhere().lines().findFirst().orElse("");
            return new OxyError(ExitCode.REFUSED, "table " + table + ": PostgreSQL refused a value: " + firstLine(error) + at + detail,
                "Fix the value in SQLite. " + NOTHING_WRITTEN, error);
        }
        return new OxyError(ExitCode.REFUSED, "loading " + table + " failed: " + firstLine(error) + detail, NOTHING_WRITTEN, error);
    }

    /**
     * For a partial unique index over a nullable column (as Oxy's idx_unique_source_runindex ... WHERE run_index
     * IS NOT NULL): keep the first row of each key and set that column NULL in the others, which the index allows.
     * Otherwise the SQL that lists the duplicates, for the user to decide which rows go.
     */
    static String duplicatesHint(TargetSchema.Rebuild rebuild, TablePlan table, Path sqliteFile) {
        List<String> columns = rebuild.columns();
        if (columns.isEmpty() || table == null || !table.columns().containsAll(columns)) {
            return "Remove or change the duplicate rows of " + rebuild.table() + " in SQLite. " + NOTHING_WRITTEN;
        }
        String source = Databases.quote(table.source().name());
        String filter = rebuild.predicate() == null ? "" : " WHERE " + rebuild.predicate();
        String groups = String.join(", ", columns.stream().map(column -> SourceKeys.comparable(column, table.target().columns().get(column))).toList());
        Matcher nullable = rebuild.predicate() == null ? null : NOT_NULL_PREDICATE.matcher(rebuild.predicate().strip());
        if (nullable != null && nullable.matches() && columns.contains(nullable.group(1)) && table.source().hasRowid()) {
            String column = Databases.quote(nullable.group(1));
            String update = "UPDATE " + source + " SET " + column + " = NULL" + filter + " AND rowid NOT IN (SELECT min(rowid) FROM " + source + filter
                + " GROUP BY " + groups + ")";
            return "Keep the first row of each key and set the others' " + nullable.group(1) + " to NULL, which the index allows: sqlite3 "
                + shellQuote(sqliteFile.toString()) + " " + shellQuote(update) + " (or remove the duplicates yourself). " + NOTHING_WRITTEN;
        }
        String list = "SELECT " + String.join(", ", columns.stream().map(Databases::quote).toList()) + ", count(*) FROM " + source + filter
            + " GROUP BY " + groups + " HAVING count(*) > 1";
        return "Remove or change the duplicate rows in SQLite; these list them: sqlite3 " + shellQuote(sqliteFile.toString()) + " " + shellQuote(list)
            + ". " + NOTHING_WRITTEN;
    }

    private static String kindOf(TargetSchema.Rebuild rebuild) {
        if (rebuild.foreignKey()) return "foreign key";
        String sql = rebuild.sql().toUpperCase(Locale.ROOT);
        return sql.contains(" PRIMARY KEY") && sql.startsWith("ALTER TABLE") ? "primary key"
            : sql.startsWith("ALTER TABLE") ? "unique constraint" : sql.startsWith("CREATE UNIQUE") ? "unique index" : "index";
    }

    private static ServerErrorMessage server(SQLException error) {
        return error instanceof PSQLException psql ? psql.getServerErrorMessage() : null;
    }

    private static String firstLine(SQLException error) {
        return Cli.describe(error).lines().findFirst().orElse("");
    }

    private static String shorten(String text) {
        return text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }

    /** For a POSIX shell: in single quotes, each ' written as '\''. */
    static String shellQuote(String text) {
        return "'" + text.replace("'", "'\\''") + "'";
    }
}
