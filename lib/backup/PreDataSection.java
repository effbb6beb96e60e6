import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A dump's schema (pg_dump's pre-data section: types, tables, functions, sequences; no rows, no indexes) as
 * SQL statements, loaded into the empty database a restore is about to fill. It goes first and alone, in one
 * transaction, so anything the target server rejects is found before any data moves; rehearse() loads it
 * and rolls back, which an upgrade does before its downtime begins.
 *
 * Column options the target does not know are left out and named. PostgreSQL 17.12 gives every new column
 * the option pg_attver (the WAL position the column was made at; 18.6 rejects it as an unrecognized
 * parameter). Attribute options hold no data: the others steer the planner (n_distinct).
 */
public final class PreDataSection {
    /** pg_dump's form for attribute options: ALTER TABLE ONLY t ALTER COLUMN c SET (name=value, ...) */
    private static final Pattern COLUMN_OPTIONS = Pattern.compile("(?is)\\s*(ALTER\\s+TABLE\\s+(?:ONLY\\s+)?.+?\\s+ALTER\\s+COLUMN\\s+.+?\\s+SET\\s*)\\((.+)\\)\\s*;?\\s*");
    private static final Pattern UNRECOGNIZED = Pattern.compile("unrecognized parameter \"([^\"]+)\"");

    private final List<String> statements;
    private final String source;

    private PreDataSection(List<String> statements, String source) {
        this.statements = statements;
        this.source = source;
    }

    /** The pre-data section of an archive (custom or directory), as pg_restore writes it; owners as the restore will set them. */
    public static PreDataSection ofArchive(BackupArchive archive, PostgresTools tools, boolean noOwner) {
        List<String> arguments = new ArrayList<>(List.of("--section=pre-data"));
        if (noOwner) arguments.addAll(List.of("--no-owner", "--no-privileges"));
        return written(tools, "pg_restore", arguments, archive.path().toString(), archive.path().getParent(), null, archive.name());
    }

    /** The pre-data section of a live database, dumped by a pg_dump of at least toolMajor (found as for a backup). */
    public static PreDataSection ofDatabase(DatabaseRuntime runtime, PostgresUrl database, int toolMajor, Console console) {
        Path work;
        try {
            removeAbandonedWorkDirectories();
            work = Files.createTempDirectory(WORK_PREFIX + ProcessHandle.current().pid() + "-");
        } catch (IOException e) {
            throw new OxyError(ExitCode.FAILED, "cannot make a temporary directory: " + e.getMessage(), "Check java.io.tmpdir.", e);
        }
        try (PostgresTools tools = PostgresTools.find(toolMajor, runtime, List.of(work), console)) {
            return written(tools, "pg_dump", List.of("--section=pre-data", "--no-password"), database.database(), work, database, "database " + database.database());
        } finally {
            try {
                DurableFiles.deleteRecursively(work);
            } catch (IOException ignored) {
                // a temporary directory; the system cleans it
            }
        }
    }

    private static final String WORK_PREFIX = "oxy-schema-";

    /** Work directories of runs killed with -9 (their pid is gone), with the schema they held. */
    private static void removeAbandonedWorkDirectories() throws IOException {
        Path temp = Path.of(System.getProperty("java.io.tmpdir"));
        try (var entries = Files.newDirectoryStream(temp, WORK_PREFIX + "*")) {
            for (Path entry : entries) {
                String[] parts = entry.getFileName().toString().substring(WORK_PREFIX.length()).split("-");
                boolean alive = parts.length > 1 && parts[0].matches("\\d+") && ProcessHandle.of(Long.parseLong(parts[0])).isPresent();
                if (!alive) DurableFiles.deleteRecursively(entry);
            }
        }
    }

    /** The tool writes the SQL to a temporary file the tools can reach (a tools container sees workDirectory at the same path). */
    private static PreDataSection written(PostgresTools tools, String tool, List<String> arguments, String what, Path workDirectory,
                                          PostgresUrl connection, String source) {
        Path file = workDirectory.resolve(BackupStore.TEMPORARY_PREFIX + "schema-" + ProcessHandle.current().pid() + ".sql");
        try {
            List<String> command = new ArrayList<>(arguments);
            command.add("--file=" + file);
            command.add(what);
            Processes.Result result = tools.run(tool, command, connection);
            if (!result.ok()) {
                throw new OxyError(ExitCode.FAILED, tool + " could not write the schema of " + source + ": " + String.join(" ", result.tail(1)),
                    "Nothing was changed.", result.tail(5), null);
            }
            return new PreDataSection(statementsOf(Files.readString(file, StandardCharsets.UTF_8)), source);
        } catch (IOException e) {
            throw new OxyError(ExitCode.FAILED, "cannot read the schema pg_dump wrote to " + file + ": " + e.getMessage(), "Nothing was changed.", e);
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a leftover .partial- file is removed by the next run
            }
        }
    }

    /** pgjdbc's own splitter (quotes, dollar quotes and comments as the server reads them); psql's \restrict lines dropped. */
    static List<String> statementsOf(String sql) {
        // only pg_dump's own restrict and unrestrict meta-commands: a function body's line may begin with a backslash too
        String withoutMetaCommands = sql.lines().filter(line -> !line.startsWith("\\restrict ") && !line.startsWith("\\unrestrict "))
            .collect(Collectors.joining("\n"));
        try {
            return org.postgresql.core.Parser.parseJdbcSql(withoutMetaCommands, true, false, true, false, false).stream()
                .map(query -> query.nativeSql).filter(statement -> !statement.isBlank()).toList();
        } catch (SQLException e) {
            throw new OxyError(ExitCode.VERIFICATION_FAILED, "the dump's schema cannot be read as SQL: " + e.getMessage(), "Use another backup.", e);
        }
    }

    public int size() { return statements.size(); }

    /**
     * Loads the schema into target and rolls it back: the target's answer to every statement, before anything
     * changes. Returns the column options it leaves out (option -> columns); a rejection is exit 8, in the server's words.
     */
    public Map<String, Integer> rehearse(PostgresUrl target, String whatStaysAsItWas) {
        return run(target, false, whatStaysAsItWas);
    }

    /** Loads the schema into target for real, in one transaction. Returns the column options left out. */
    public Map<String, Integer> load(PostgresUrl target) {
        return run(target, true, "Nothing of it was kept.");
    }

    private Map<String, Integer> run(PostgresUrl target, boolean commit, String whatStaysAsItWas) {
        try (Connection connection = target.connect()) {
            connection.setAutoCommit(false);
            ColumnOptionFilter filter = new ColumnOptionFilter();
            try (Statement statement = connection.createStatement()) {
                for (String sql : statements) {
                    try {
                        filter.execute(connection, statement, sql);
                    } catch (SQLException e) {
                        throw rejected(connection, e, sql, whatStaysAsItWas);
                    }
                }
            }
            if (commit) connection.commit();
            else connection.rollback();
            return filter.leftOut();
        } catch (SQLException e) {
            throw target.unavailable(e);
        }
    }

    /** "PostgreSQL 18.6 rejects the schema of X: <the server's error> in: <the statement>", and what to do. */
    private OxyError rejected(Connection connection, SQLException e, String sql, String whatStaysAsItWas) {
        String version;
        try {
            connection.rollback();
            version = Databases.serverVersion(connection);
        } catch (SQLException unreadable) {
            version = "the target";
        }
        String serverSaid = e.getMessage().lines().findFirst().orElse("").replaceFirst("^ERROR:\\s*", "");
        return new OxyError(ExitCode.REFUSED, "PostgreSQL " + version + " rejects the schema of " + source + ": " + serverSaid
            + " (in: " + headOf(sql) + ")",
            whatStaysAsItWas + ("42704".equals(e.getSQLState()) && serverSaid.startsWith("role ")
                ? " Create the role on this server first (restore --create-roles creates those the backup records; --no-owner restores without owners and privileges)."
                : " Use a target that accepts it (an image with what it needs, of a release at least as new as the source's), or change that object in the source."),
            List.of(), e);
    }

    /**
     * Runs statements, leaving out of ALTER COLUMN ... SET (...) the options the server reports as unrecognized
     * (tried under a savepoint, so the transaction goes on). Plain SQL restores use it line by line too.
     */
    static final class ColumnOptionFilter {
        private final Map<String, Integer> leftOut = new LinkedHashMap<>();

        Map<String, Integer> leftOut() { return leftOut; }

        /** Whether pg_dump writes this statement on one line of its own: a column-options statement. */
        static boolean isColumnOptions(String sql) {
            return COLUMN_OPTIONS.matcher(sql).matches();
        }

        void execute(Connection connection, Statement statement, String sql) throws SQLException {
            Matcher options = COLUMN_OPTIONS.matcher(sql);
            if (!options.matches()) {
                statement.execute(sql);
                return;
            }
            List<String> all = List.of(options.group(2).split("\\s*,\\s*"));
            try {
                executeKnown(connection, statement, options.group(1), all);
            } finally {
                // each statement is one column
                all.stream().map(ColumnOptionFilter::optionName).filter(leftOut::containsKey).forEach(name -> leftOut.merge(name, 1, Integer::sum));
            }
        }

        private void executeKnown(Connection connection, Statement statement, String alterColumnSet, List<String> all) throws SQLException {
            while (true) {
                List<String> kept = all.stream().filter(option -> !leftOut.containsKey(optionName(option))).toList();
                if (kept.isEmpty()) return;
                Savepoint before = connection.setSavepoint();
                try {
                    statement.execute(alterColumnSet + "(" + String.join(", ", kept) + ")");
                    connection.releaseSavepoint(before);
                    return;
                } catch (SQLException e) {
                    connection.rollback(before);
                    Matcher unknown = UNRECOGNIZED.matcher(String.valueOf(e.getMessage()));
                    String name = unknown.find() ? unknown.group(1).toLowerCase(java.util.Locale.ROOT) : null;
                    if (name == null || kept.stream().noneMatch(option -> optionName(option).equals(name))) throw e;
                    leftOut.put(name, 0);
                }
            }
        }

        private static String optionName(String option) {
            int equals = option.indexOf('=');
            return (equals < 0 ? option : option.substring(0, equals)).trim().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The statement's first line of SQL (pg_dump's comments before it skipped), short enough for one line of output. */
    private static String headOf(String sql) {
        String head = sql.lines().map(String::trim).filter(line -> !line.isEmpty() && !line.startsWith("--")).findFirst().orElse("");
        return head.length() > 160 ? head.substring(0, 157) + "..." : head;
    }

    /** Says which column options were left out, when any were: "pg_attver (on 132 columns)". */
    public static void reportLeftOut(Console console, Map<String, Integer> leftOut) {
        if (leftOut.isEmpty()) return;
        String options = leftOut.entrySet().stream()
            .map(e -> e.getKey() + " (on " + e.getValue() + " column" + (e.getValue() == 1 ? "" : "s") + ")").collect(Collectors.joining(", "));
        console.warn("The target server does not know the column option " + options + " that the source's newer release wrote; "
            + "left out (column options hold no data)");
    }
}
