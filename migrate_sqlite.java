///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/**/*.java

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import org.sqlite.SQLiteConfig;

/**
 * migrate_sqlite: move an app's SQLite file into PostgreSQL in one transaction. Pre-flight checks first
 * (readable file, reachable target, current schema, every table and column mapped, no orphans, empty
 * target), then each table streamed with COPY in foreign-key order, converted by the target column's type,
 * then row counts (and with --verify, checksums) compared before the commit. Any failure or interrupt
 * rolls everything back.
 */
@Command(name = "migrate_sqlite", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
    description = {"Move an app's SQLite data into PostgreSQL: verified, all or nothing.",
        "Runs in one transaction: an error, Ctrl+C or kill leaves the target exactly as it was."},
    footer = {"", "Exit codes: 0 migrated (or dry run clean); 2 usage; 3 PostgreSQL unreachable; 8 refused by a pre-flight",
        "check or a bad value (nothing written); 9 counts/checksums differ (rolled back).",
        "", "Examples:",
        "  ./jbang oxy migrate_sqlite --dry-run",
        "  ./jbang oxy migrate_sqlite --from ~/.local/share/oxy/db.sqlite --to postgresql://postgres@localhost:15432/oxy",
        "  ./jbang oxy migrate_sqlite --from sqlite:///data/app.db --to \"$DATABASE_URL\" --create-schema --verify"})
public class migrate_sqlite implements Callable<Integer> {

    @Mixin RuntimeOptions runtime;

    @Option(names = "--from", defaultValue = "${env:SQLITE_URL}", paramLabel = "SQLITE_URL|PATH",
        description = "The SQLite file: sqlite:///abs/path, sqlite://relative/path or a plain path (env SQLITE_URL; default $OXY_STATE_DIR/db.sqlite).")
    String from;

    @Option(names = "--to", defaultValue = "${env:POSTGRES_URL}", paramLabel = "POSTGRES_URL",
        description = "The target: postgresql:// or postgres:// (env POSTGRES_URL, then OXY_DATABASE_URL; default the local PostgreSQL that 'start' runs).")
    String to;

    @Option(names = "--dry-run", description = "Write nothing anywhere: convert every row and report what would be migrated and every problem.")
    boolean dryRun;

    @Option(names = "--truncate", description = "Empty the target tables first (in the same transaction) instead of refusing a non-empty target.")
    boolean truncate;

    @Option(names = "--strict", description = "Refuse tables that exist only in SQLite instead of skipping them.")
    boolean strict;

    @Option(names = "--skip-orphans", description = "Leave out rows whose foreign keys point nowhere (counted), instead of refusing.")
    boolean skipOrphans;

    @Option(names = "--strip-nul", description = "Remove NUL characters from text and \\u0000 from JSON, which PostgreSQL rejects, instead of refusing.")
    boolean stripNul;

    @Option(names = "--create-schema", description = "Create target tables missing in PostgreSQL from the SQLite schema (any SQLite database, not only the app's).")
    boolean createSchema;

    @Option(names = "--verify", description = "Also compare an order-independent checksum of every table's content on both sides.")
    boolean verify;

    private final Console console = Console.standard();

    public static void main(String... args) {
        Cli.run(new migrate_sqlite(), args);
    }

    @Override
    public Integer call() throws Exception {
        Path source = sourcePath();
        PostgresUrl target = targetUrl();
        long started = System.nanoTime();
        try (Connection sqlite = openSource(source)) {
            checkIntegrity(sqlite, source);
            Map<String, SourceTable> sourceTables = readSourceSchema(sqlite);
            if (sourceTables.isEmpty()) {
                throw new OxyError(ExitCode.REFUSED, source + " holds no tables: nothing to migrate", "Check --from (or SQLITE_URL); nothing was written.");
            }
            refuseEmptyColumnNames(sourceTables);
            try (Connection pg = connectTarget(target)) {
                List<SchemaMigrations.Migration> pending = pendingMigrations(target);
                pg.setAutoCommit(false);
                // the pre-flight, in a transaction that is rolled back: the migrations and new tables it needs are
                // made there, so a refusal, in the dry run and the real run alike, leaves the target as it was
                applyInTransaction(pg, pending);
                if (createSchema) createMissingTables(pg, sourceTables);
                List<String> problems = new ArrayList<>();
                List<TablePlan> plan = plan(sourceTables, readTargetSchema(pg), problems);
                Map<String, Set<Long>> orphans = findOrphans(sqlite, plan, problems);
                findOrphansOfTargetKeys(sqlite, pg, plan, orphans, problems);
                findDuplicateKeys(sqlite, pg, plan, problems);
                checkTargetEmpty(pg, plan, problems, false);
                if (dryRun) {
                    int exitCode = reportDryRun(sqlite, plan, orphans, pending, problems);
                    pg.rollback(); // the dry run's schema and checks leave nothing behind
                    return exitCode;
                }
                pg.rollback();
                if (!problems.isEmpty()) throw refused(problems);
                // for real: the same schema, now through Flyway (its history), then the load in one transaction
                applyMigrations(target);
                if (createSchema) createMissingTables(pg, sourceTables);
                plan = plan(sourceTables, readTargetSchema(pg), new ArrayList<>());
                checkTargetEmpty(pg, plan, new ArrayList<>(), true);
                LoadResult loaded = load(sqlite, pg, plan, orphans);
                resetSequences(pg, plan);
                verifyCounts(pg, plan, loaded);
                if (verify) verifyChecksums(pg, plan, loaded);
                commit(pg);
                analyze(pg, plan);
                summarize(plan, loaded, started);
                return ExitCode.OK;
            }
        }
    }

    // ---- 1. where from, where to -------------------------------------------------------------------------

    Path sourcePath() {
        String value = from;
        if (value == null || value.isBlank()) {
            Path fallback = runtime.stateDir.resolve("db.sqlite");
            console.info("No --from given: using " + fallback);
            return fallback;
        }
        value = value.strip();
        if (value.startsWith("sqlite:")) {
            String rest = value.substring("sqlite:".length());
            int query = rest.indexOf('?');
            if (query >= 0) rest = rest.substring(0, query);
            if (rest.startsWith("///")) return Path.of(rest.substring(2));
            if (rest.startsWith("//")) return Path.of(rest.substring(2));
            return Path.of(rest);
        }
        if (value.matches("^[A-Za-z][A-Za-z0-9+.-]*://.*")) {
            throw new OxyError(ExitCode.USAGE, "--from has scheme '" + value.substring(0, value.indexOf("://") + 3) + "', not sqlite://",
                "Expected sqlite:///absolute/path.db, sqlite://relative/path.db or a plain file path.");
        }
        return Path.of(value);
    }

    PostgresUrl targetUrl() {
        if (to != null && !to.isBlank()) return PostgresUrl.parse(to);
        if (runtime.url != null && !runtime.url.isBlank()) return PostgresUrl.parse(runtime.url);
        DatabaseRuntime local = Runtimes.select(runtime);
        if (!local.report().running()) {
            throw new OxyError(ExitCode.USAGE, "no target database: --to is not given and no local PostgreSQL is running",
                "Pass --to " + PostgresUrl.EXPECTED + " (or set POSTGRES_URL), or start one with './jbang oxy start --detach'.");
        }
        PostgresUrl url = local.url();
        console.info("No --to given: using the local PostgreSQL (" + local.name() + ") at " + url);
        return url;
    }

    Connection openSource(Path file) throws Exception {
        if (!Files.isRegularFile(file)) {
            throw new OxyError(ExitCode.REFUSED, "no SQLite file at " + file, "Check --from (or SQLITE_URL); Oxy keeps it at ~/.local/share/oxy/db.sqlite.");
        }
        if (!Files.isReadable(file)) throw new OxyError(ExitCode.REFUSED, "cannot read " + file + " (permission denied)", null);
        if (Files.size(file) == 0) {
            throw new OxyError(ExitCode.REFUSED, file + " is empty (0 bytes): not an SQLite database", "Check --from (or SQLITE_URL); nothing was written.");
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(true);
        config.setOpenMode(org.sqlite.SQLiteOpenMode.READONLY);
        return Retry.attempts(3, Duration.ofMillis(500), Duration.ofSeconds(2)).run(
            () -> DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath(), config.toProperties()),
            (attempt, wait, error) -> console.warn("SQLite not readable yet (" + Cli.describe(error) + "); retry " + (attempt + 1) + "/3 in " + wait.toMillis() + " ms"));
    }

    void checkIntegrity(Connection sqlite, Path file) {
        try (Statement statement = sqlite.createStatement(); ResultSet result = statement.executeQuery("PRAGMA integrity_check")) {
            List<String> findings = new ArrayList<>();
            while (result.next()) findings.add(result.getString(1));
            if (!findings.equals(List.of("ok"))) {
                throw new OxyError(ExitCode.REFUSED, file + " fails SQLite's integrity check", "Repair it first (sqlite3 " + file + " '.recover')",
                    findings.subList(0, Math.min(5, findings.size())), null);
            }
            console.ok("SQLite file " + file + " is readable and intact");
        } catch (SQLException e) {
            throw new OxyError(ExitCode.REFUSED, file + " is not a readable SQLite database (" + Cli.describe(e) + ")",
                "Check --from: it must be the app's db.sqlite.", e);
        }
    }

    Connection connectTarget(PostgresUrl url) throws Exception {
        try {
            Connection connection = Retry.attempts(20, Duration.ofMillis(500), Duration.ofSeconds(5))
                .givingUpOn(Readiness::isPermanent)
                .run(url::connect, (attempt, wait, error) -> console.warn("PostgreSQL at " + url.host() + ":" + url.port()
                    + " not reachable (" + Cli.describe(error) + "); retry " + (attempt + 1) + "/20 in " + wait.toMillis() + " ms"));
            console.ok("PostgreSQL at " + url + " is reachable");
            return connection;
        } catch (SQLException e) {
            throw url.unavailable(e);
        }
    }

    /** The migrations this database still needs (none when it is ours and current). */
    List<SchemaMigrations.Migration> pendingMigrations(PostgresUrl url) {
        List<SchemaMigrations.Migration> pending = new SchemaMigrations(url).state().pending();
        if (pending.isEmpty()) console.ok("Schema is up to date");
        else if (dryRun) console.info("[DRY RUN] Schema migrations that would be applied: " + pending);
        return pending;
    }

    /** After the pre-flight passed: the migrations through Flyway, committed with its history. */
    void applyMigrations(PostgresUrl url) {
        new SchemaMigrations(url).migrate().forEach(m -> console.ok("Applied migration " + m));
    }

    /** Runs pending migration scripts in this (to be rolled back) transaction, so a dry run sees the tables they create. */
    void applyInTransaction(Connection pg, List<SchemaMigrations.Migration> pending) throws Exception {
        List<String> scripts = SchemaMigrations.scriptsOf(pending);
        for (int i = 0; i < scripts.size(); i++) {
            try (Statement statement = pg.createStatement()) {
                statement.execute(scripts.get(i));
            } catch (SQLException e) {
                throw new OxyError(ExitCode.SCHEMA_NOT_CURRENT, "migration " + pending.get(i) + " would fail on this database: "
                    + Cli.describe(e).lines().findFirst().orElse(""),
                    "A database whose tables were made without Flyway cannot take the migrations; use an empty database.", e);
            }
        }
    }

    // ---- 2. what is there --------------------------------------------------------------------------------

    record SourceColumn(String name, String declaredType, boolean notNull, String defaultValue, int primaryKeyIndex) {}

    /** hasRowid: false for WITHOUT ROWID tables, whose rows are named by their key alone. */
    record SourceTable(String name, List<SourceColumn> columns, List<String[]> foreignKeys, boolean hasRowid) {}

    static final Set<String> LEDGERS = Set.of("seaql_migrations", "flyway_schema_history");

    Map<String, SourceTable> readSourceSchema(Connection sqlite) throws SQLException {
        Map<String, SourceTable> tables = new LinkedHashMap<>();
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
        for (String name : names.keySet()) {
            List<SourceColumn> columns = new ArrayList<>();
            try (Statement statement = sqlite.createStatement(); ResultSet result = statement.executeQuery("PRAGMA table_info(" + quote(name) + ")")) {
                while (result.next()) {
                    columns.add(new SourceColumn(result.getString("name"), result.getString("type"), result.getInt("notnull") == 1,
                        result.getString("dflt_value"), result.getInt("pk")));
                }
            }
            List<String[]> foreignKeys = new ArrayList<>();
            try (Statement statement = sqlite.createStatement(); ResultSet result = statement.executeQuery("PRAGMA foreign_key_list(" + quote(name) + ")")) {
                while (result.next()) foreignKeys.add(new String[] {result.getString("from"), result.getString("table"), result.getString("to")});
            }
            tables.put(name, new SourceTable(name, columns, foreignKeys, names.get(name)));
        }
        return tables;
    }

    /** SQLite allows a column named "" (CREATE TABLE t ("" TEXT)); PostgreSQL has no such name, so there is nowhere to put it. */
    void refuseEmptyColumnNames(Map<String, SourceTable> tables) {
        List<String> problems = new ArrayList<>();
        for (SourceTable table : tables.values()) {
            for (int i = 0; i < table.columns().size(); i++) {
                if (table.columns().get(i).name().isEmpty()) {
                    problems.add("column " + (i + 1) + " of table " + table.name() + " has an empty name, which PostgreSQL does not allow");
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new OxyError(ExitCode.REFUSED, problems.get(0), "Rename it in SQLite first (ALTER TABLE ... RENAME COLUMN \"\" TO name); nothing was written.",
                problems.subList(1, problems.size()), null);
        }
    }

    record TargetColumn(String name, String type, boolean nullable, boolean hasDefault, Integer maxLength) {}

    record TargetTable(String name, Map<String, TargetColumn> columns, List<String> primaryKey, Set<String> parents) {}

    Map<String, TargetTable> readTargetSchema(Connection pg) throws SQLException {
        Map<String, TargetTable> tables = new TreeMap<>();
        String columnsSql = "SELECT c.table_name, c.column_name, c.udt_name, c.is_nullable = 'YES', "
            + "c.column_default IS NOT NULL OR c.is_identity = 'YES' OR c.is_generated = 'ALWAYS', c.character_maximum_length "
            + "FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name) "
            + "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' ORDER BY c.table_name, c.ordinal_position";
        try (Statement statement = pg.createStatement(); ResultSet result = statement.executeQuery(columnsSql)) {
            while (result.next()) {
                String table = result.getString(1);
                if (LEDGERS.contains(table)) continue;
                tables.computeIfAbsent(table, name -> new TargetTable(name, new LinkedHashMap<>(), new ArrayList<>(), new LinkedHashSet<>()))
                    .columns().put(result.getString(2), new TargetColumn(result.getString(2), result.getString(3), result.getBoolean(4),
                        result.getBoolean(5), (Integer) result.getObject(6)));
            }
        }
        String keysSql = "SELECT con.conrelid::regclass::text, con.contype, con.confrelid::regclass::text, "
            + "array_to_string(ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a "
            + "ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i), ',') "
            + "FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace WHERE n.nspname = current_schema() AND con.contype IN ('p', 'f')";
        try (Statement statement = pg.createStatement(); ResultSet result = statement.executeQuery(keysSql)) {
            while (result.next()) {
                TargetTable table = tables.get(unquote(result.getString(1)));
                if (table == null) continue;
                if (result.getString(2).equals("p")) table.primaryKey().addAll(List.of(result.getString(4).split(",")));
                else table.parents().add(unquote(result.getString(3)));
            }
        }
        return tables;
    }

    // ---- 3. the plan: which table goes where, in which order -----------------------------------------------

    record TablePlan(SourceTable source, TargetTable target, List<String> columns) {
        String name() { return target.name(); }
    }

    List<TablePlan> plan(Map<String, SourceTable> sources, Map<String, TargetTable> targets, List<String> problems) {
        List<TablePlan> mapped = new ArrayList<>();
        for (SourceTable source : sources.values()) {
            if (LEDGERS.contains(source.name())) {
                console.info("Skipping " + source.name() + " (a migration ledger; the target keeps its own)");
                continue;
            }
            TargetTable target = targets.get(source.name());
            if (target == null) {
                if (strict) problems.add("table " + source.name() + " exists only in SQLite (--strict)");
                else console.warn("Skipping table " + source.name() + ": it exists only in SQLite (--create-schema creates it, --strict refuses)");
                continue;
            }
            List<String> columns = new ArrayList<>();
            for (SourceColumn column : source.columns()) {
                if (target.columns().containsKey(column.name())) columns.add(column.name());
                else problems.add("column " + source.name() + "." + column.name() + " has no column in the PostgreSQL table " + target.name());
            }
            for (TargetColumn column : target.columns().values()) {
                if (!column.nullable() && !column.hasDefault() && !columns.contains(column.name())) {
                    problems.add("column " + target.name() + "." + column.name() + " is NOT NULL without a default and SQLite has no such column");
                }
            }
            mapped.add(new TablePlan(source, target, columns));
        }
        return inForeignKeyOrder(mapped);
    }

    /** Parents before children, from the target's foreign keys; a cycle is loaded in name order with deferred constraints. */
    List<TablePlan> inForeignKeyOrder(List<TablePlan> tables) {
        Map<String, TablePlan> remaining = new TreeMap<>();
        tables.forEach(table -> remaining.put(table.name(), table));
        List<TablePlan> ordered = new ArrayList<>();
        while (!remaining.isEmpty()) {
            TablePlan next = remaining.values().stream()
                .filter(table -> table.target().parents().stream().noneMatch(parent -> !parent.equals(table.name()) && remaining.containsKey(parent)))
                .findFirst().orElse(null);
            if (next == null) {
                console.warn("foreign keys form a cycle among " + remaining.keySet() + "; loading them in name order (their constraints must be DEFERRABLE)");
                ordered.addAll(remaining.values());
                break;
            }
            ordered.add(next);
            remaining.remove(next.name());
        }
        return ordered;
    }

    /** Rows whose foreign keys point nowhere, by SQLite's own check, as table -> rowids. */
    Map<String, Set<Long>> findOrphans(Connection sqlite, List<TablePlan> plan, List<String> problems) {
        Map<String, Set<Long>> orphans = new TreeMap<>();
        for (TablePlan table : plan) {
            try (Statement statement = sqlite.createStatement();
                 ResultSet result = statement.executeQuery("PRAGMA foreign_key_check(" + quote(table.source().name()) + ")")) {
                while (result.next()) {
                    long rowid = result.getLong("rowid");
                    String parent = result.getString("parent");
                    if (!isOrphan(sqlite, table.source().name(), rowid, parent, result.getInt("fkid"))) continue;
                    orphans.computeIfAbsent(table.name(), name -> new LinkedHashSet<>()).add(rowid);
                    if (!skipOrphans) problems.add("orphan: " + table.name() + " rowid " + rowid + " points to a missing row of " + parent);
                }
            } catch (SQLException e) {
                console.warn("the foreign keys of " + table.name() + " could not be checked in SQLite (" + Cli.describe(e) + "); PostgreSQL will check them");
            }
        }
        if (skipOrphans) orphans.forEach((table, rows) -> console.warn("Skipping " + rows.size() + " orphan row(s) of " + table));
        return orphans;
    }

    /**
     * SQLite compares raw values, so a uuid stored as text in one table and as a blob in another looks like an
     * orphan; a reported row is an orphan only when no parent holds its key in any uuid form.
     */
    boolean isOrphan(Connection sqlite, String table, long rowid, String parent, int foreignKeyId) throws SQLException {
        List<String[]> pairs = new ArrayList<>();
        try (Statement statement = sqlite.createStatement(); ResultSet keys = statement.executeQuery("PRAGMA foreign_key_list(" + quote(table) + ")")) {
            while (keys.next()) if (keys.getInt("id") == foreignKeyId) pairs.add(new String[] {keys.getString("from"), keys.getString("to")});
        }
        if (pairs.size() != 1) return true; // composite keys: SQLite's verdict stands
        String parentColumn = pairs.get(0)[1];
        if (parentColumn == null) {
            try (Statement statement = sqlite.createStatement(); ResultSet columns = statement.executeQuery("PRAGMA table_info(" + quote(parent) + ")")) {
                while (columns.next()) if (columns.getInt("pk") == 1) parentColumn = columns.getString("name");
            }
        }
        Object value;
        try (PreparedStatement statement = sqlite.prepareStatement("SELECT " + quote(pairs.get(0)[0]) + " FROM " + quote(table) + " WHERE rowid = ?")) {
            statement.setLong(1, rowid);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) return true;
                value = row.getObject(1);
            }
        }
        return !parentHas(sqlite, parent, parentColumn, value);
    }

    /** Whether the parent has the value in that column, in any of the forms that convert to the same value (uuid text or blob). */
    boolean parentHas(Connection sqlite, String parent, String parentColumn, Object value) throws SQLException {
        List<Object> forms = new ArrayList<>(List.of(value));
        try {
            UUID uuid = Values.uuid(value);
            ByteBuffer bytes = ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
            String text = uuid.toString();
            forms = List.of(bytes.array(), text, text.toUpperCase(Locale.ROOT), text.replace("-", ""), text.replace("-", "").toUpperCase(Locale.ROOT));
        } catch (BadValue notAUuid) {
            // compare as it is
        }
        String sql = "SELECT 1 FROM " + quote(parent) + " WHERE " + quote(parentColumn) + " IN ("
            + String.join(", ", forms.stream().map(form -> "?").toList()) + ") LIMIT 1";
        try (PreparedStatement statement = sqlite.prepareStatement(sql)) {
            for (int i = 0; i < forms.size(); i++) statement.setObject(i + 1, forms.get(i));
            try (ResultSet found = statement.executeQuery()) {
                return found.next();
            }
        }
    }

    /** A key, unique constraint or (non-partial) unique index of a target table, or a foreign key with its parent's columns. */
    record TargetConstraint(String table, String name, String kind, List<String> columns, String parent, List<String> parentColumns) {}

    List<TargetConstraint> targetConstraints(Connection pg) throws SQLException {
        String columnsOf = "array_to_string(ARRAY(SELECT a.attname FROM unnest(%s) WITH ORDINALITY k(n, i) JOIN pg_attribute a "
            + "ON a.attrelid = %s AND a.attnum = k.n ORDER BY k.i), ',')";
        String sql = "SELECT con.conrelid::regclass::text, con.conname, con.contype::text, " + String.format(columnsOf, "con.conkey", "con.conrelid")
            + ", con.confrelid::regclass::text, " + String.format(columnsOf, "con.confkey", "con.confrelid") + " FROM pg_constraint con "
            + "JOIN pg_namespace n ON n.oid = con.connamespace WHERE n.nspname = current_schema() AND con.contype IN ('p', 'u', 'f') "
            + "UNION ALL SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, 'i', " + String.format(columnsOf, "i.indkey::int2[]", "i.indrelid")
            + ", NULL, NULL FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            + "WHERE n.nspname = current_schema() AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL "
            + "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)";
        List<TargetConstraint> constraints = new ArrayList<>();
        try (Statement statement = pg.createStatement(); ResultSet result = statement.executeQuery(sql)) {
            while (result.next()) {
                String parent = result.getString(5);
                constraints.add(new TargetConstraint(unquote(result.getString(1)), result.getString(2), result.getString(3),
                    List.of(result.getString(4).split(",")), parent == null ? null : unquote(parent),
                    parent == null ? List.of() : List.of(result.getString(6).split(","))));
            }
        }
        return constraints;
    }

    /**
     * Foreign keys only the target has (SQLite's file does not declare them, so its own check cannot see them):
     * rows pointing nowhere are orphans all the same, found before the load like SQLite's own, and skipped
     * with --skip-orphans like them.
     */
    void findOrphansOfTargetKeys(Connection sqlite, Connection pg, List<TablePlan> plan, Map<String, Set<Long>> orphans, List<String> problems)
            throws SQLException {
        Map<String, TablePlan> byName = new LinkedHashMap<>();
        plan.forEach(table -> byName.put(table.name(), table));
        for (TargetConstraint key : targetConstraints(pg)) {
            TablePlan child = byName.get(key.table());
            TablePlan parent = key.parent() == null ? null : byName.get(key.parent());
            if (!key.kind().equals("f") || child == null || parent == null || key.columns().size() != 1 || !child.source().hasRowid()) continue;
            String column = key.columns().get(0), parentColumn = key.parentColumns().get(0);
            if (!child.columns().contains(column) || !parent.columns().contains(parentColumn)) continue;
            boolean declared = child.source().foreignKeys().stream().anyMatch(fk -> fk[0].equals(column) && fk[1].equalsIgnoreCase(parent.source().name()));
            if (declared) continue; // SQLite's own check covered it
            String candidates = "SELECT c.rowid, c." + quote(column) + " FROM " + quote(child.source().name()) + " c WHERE c." + quote(column)
                + " IS NOT NULL AND NOT EXISTS (SELECT 1 FROM " + quote(parent.source().name()) + " p WHERE p." + quote(parentColumn) + " = c." + quote(column) + ")";
            try (Statement statement = sqlite.createStatement(); ResultSet result = statement.executeQuery(candidates)) {
                while (result.next()) {
                    long rowid = result.getLong(1);
                    if (parentHas(sqlite, parent.source().name(), parentColumn, result.getObject(2))) continue; // the same uuid in another form
                    if (!orphans.computeIfAbsent(child.name(), name -> new LinkedHashSet<>()).add(rowid)) continue;
                    if (skipOrphans) console.warn("Skipping orphan " + child.name() + " rowid " + rowid + " (the target's foreign key " + key.name() + ")");
                    if (!skipOrphans) {
                        problems.add("orphan: " + child.name() + " rowid " + rowid + " points to a missing row of " + parent.name()
                            + " (the target's foreign key " + key.name() + "; SQLite's file does not declare it)");
                    }
                }
            }
        }
    }

    /**
     * Rows that the target's keys and unique constraints would refuse: equal after conversion (a uuid as text
     * and as a blob, an integer as text and as a number), or never unique in SQLite, which may not declare the key.
     */
    void findDuplicateKeys(Connection sqlite, Connection pg, List<TablePlan> plan, List<String> problems) throws SQLException {
        Map<String, TablePlan> byName = new LinkedHashMap<>();
        plan.forEach(table -> byName.put(table.name(), table));
        for (TargetConstraint key : targetConstraints(pg)) {
            TablePlan table = byName.get(key.table());
            if (key.kind().equals("f") || table == null || !table.columns().containsAll(key.columns())) continue;
            List<String> normalized = key.columns().stream().map(column -> comparable(column, table.target().columns().get(column))).toList();
            String sql = "SELECT " + String.join(" || ', ' || ", normalized.stream().map(n -> "quote(" + n + ")").toList()) + ", count(*) FROM "
                + quote(table.source().name()) + " WHERE " + String.join(" AND ", key.columns().stream().map(c -> quote(c) + " IS NOT NULL").toList())
                + " GROUP BY " + String.join(", ", normalized) + " HAVING count(*) > 1 LIMIT 3";
            try (Statement statement = sqlite.createStatement(); ResultSet result = statement.executeQuery(sql)) {
                while (result.next()) {
                    problems.add("duplicate key: " + table.name() + " (" + String.join(", ", key.columns()) + ") = (" + result.getString(1) + ") appears "
                        + result.getLong(2) + " times, but the target's " + (key.kind().equals("p") ? "primary key " : "unique ") + key.name()
                        + " allows it once: remove or change the duplicates in SQLite");
                }
            }
        }
    }

    /** A SQLite expression that is equal for two values exactly when they convert to equal target values (as far as SQL can tell). */
    static String comparable(String column, TargetColumn target) {
        String quoted = quote(column);
        return switch (category(target.type())) {
            case UUID -> "lower(CASE typeof(" + quoted + ") WHEN 'blob' THEN hex(" + quoted + ") ELSE replace(" + quoted + ", '-', '') END)";
            case INTEGER -> "CAST(" + quoted + " AS INTEGER)";
            default -> quoted;
        };
    }

    /** forReal: --truncate's TRUNCATE is the load's (the pre-flight's ran in its rolled-back transaction, unsaid). */
    void checkTargetEmpty(Connection pg, List<TablePlan> plan, List<String> problems, boolean forReal) throws SQLException {
        Map<String, Long> filled = new LinkedHashMap<>();
        for (TablePlan table : plan) {
            long count = count(pg, "SELECT count(*) FROM " + quote(table.name()));
            if (count > 0) filled.put(table.name(), count);
        }
        if (filled.isEmpty()) return;
        if (truncate) {
            Set<String> emptied = new LinkedHashSet<>(plan.stream().map(TablePlan::name).toList());
            Map<String, Long> referencing = tablesReferencing(pg, emptied);
            referencing.forEach((table, count) -> {
                if (count > 0) problems.add("target table " + table + " is not in the SQLite file and its " + count + " row(s) reference "
                    + "the tables --truncate empties: empty or drop it first (--truncate never empties a table it does not load)");
            });
            if (referencing.values().stream().anyMatch(count -> count > 0)) return;
            emptied.addAll(referencing.keySet()); // empty tables outside the file that point at loaded ones: TRUNCATE must name them too
            if (forReal || dryRun) console.step("Emptying " + filled.size() + " target table(s) first (--truncate): " + filled);
            try (Statement statement = pg.createStatement()) {
                statement.execute("TRUNCATE " + String.join(", ", emptied.stream().map(migrate_sqlite::quote).toList()) + " RESTART IDENTITY");
            }
            return;
        }
        filled.forEach((table, count) -> problems.add("target table " + table + " already holds " + count + " row(s)"));
        problems.add("the target is not empty: rerun with --truncate to replace its rows (in the same transaction)");
    }

    /** Tables outside `tables` whose foreign keys lead into them, directly or through each other, with their row counts. */
    Map<String, Long> tablesReferencing(Connection pg, Set<String> tables) throws SQLException {
        Map<String, Set<String>> referencedBy = new HashMap<>();
        String sql = "SELECT con.confrelid::regclass::text, con.conrelid::regclass::text FROM pg_constraint con "
            + "JOIN pg_namespace n ON n.oid = con.connamespace WHERE con.contype = 'f' AND n.nspname = current_schema()";
        try (Statement statement = pg.createStatement(); ResultSet result = statement.executeQuery(sql)) {
            while (result.next()) referencedBy.computeIfAbsent(unquote(result.getString(1)), k -> new LinkedHashSet<>()).add(unquote(result.getString(2)));
        }
        Map<String, Long> found = new LinkedHashMap<>();
        java.util.Deque<String> todo = new java.util.ArrayDeque<>(tables);
        while (!todo.isEmpty()) {
            for (String child : referencedBy.getOrDefault(todo.pop(), Set.of())) {
                if (tables.contains(child) || found.containsKey(child)) continue;
                found.put(child, count(pg, "SELECT count(*) FROM " + quote(child)));
                todo.push(child);
            }
        }
        return found;
    }

    // ---- 4. load ------------------------------------------------------------------------------------------

    record LoadResult(Map<String, Long> rows, Map<String, Long> checksums, long bytes) {}

    LoadResult load(Connection sqlite, Connection pg, List<TablePlan> plan, Map<String, Set<Long>> orphans) throws Exception {
        try (Statement statement = pg.createStatement()) {
            statement.execute("SET CONSTRAINTS ALL DEFERRED");
            statement.execute("SET LOCAL synchronous_commit = off"); // the commit is one fsync; COPY needs none per row
            statement.execute("SET LOCAL maintenance_work_mem = '256MB'"); // for the index builds after the load
        }
        List<String> rebuild = dropKeysAndIndexes(pg, plan);
        CopyManagerHolder copy = new CopyManagerHolder(pg);
        Map<String, Long> rows = new LinkedHashMap<>();
        Map<String, Long> checksums = new LinkedHashMap<>();
        long bytes = 0;
        int index = 0;
        for (TablePlan table : plan) {
            index++;
            long found = count(sqlite, "SELECT count(*) FROM " + quote(table.source().name()));
            String prefix = "[" + index + "/" + plan.size() + "] " + table.name() + ": Found " + found + " records";
            TableCopy result = copyTable(sqlite, copy, table, orphans.getOrDefault(table.name(), Set.of()), found, prefix);
            rows.put(table.name(), result.rows());
            checksums.put(table.name(), result.checksum());
            bytes += result.bytes();
            console.plain(prefix + " \u2192 Migrated " + result.rows() + " records \u2713");
        }
        rebuildKeysAndIndexes(pg, rebuild);
        return new LoadResult(rows, checksums, bytes);
    }

    /**
     * Keys, unique constraints, foreign keys and indexes of the loaded tables are dropped for the load and
     * rebuilt after it, in the same transaction: a bulk build is far cheaper than maintaining them row by
     * row, and a failure or interrupt rolls the drops back with everything else.
     */
    List<String> dropKeysAndIndexes(Connection pg, List<TablePlan> plan) throws SQLException {
        String tables = "ARRAY[" + String.join(", ", plan.stream().map(t -> "'" + quote(t.name()).replace("'", "''") + "'::regclass").toList()) + "]";
        List<String> drops = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        List<String> indexes = new ArrayList<>();
        List<String> foreignKeys = new ArrayList<>();
        String constraintsSql = "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid), contype FROM pg_constraint "
            + "WHERE contype IN ('p', 'u', 'f') AND (conrelid = ANY(" + tables + ") OR confrelid = ANY(" + tables + ")) "
            + "ORDER BY contype = 'f' DESC"; // foreign keys are dropped first, since they depend on the keys
        try (Statement statement = pg.createStatement(); ResultSet result = statement.executeQuery(constraintsSql)) {
            while (result.next()) {
                drops.add("ALTER TABLE " + result.getString(1) + " DROP CONSTRAINT " + result.getString(2));
                String add = "ALTER TABLE " + result.getString(1) + " ADD CONSTRAINT " + result.getString(2) + " " + result.getString(3);
                (result.getString(4).equals("f") ? foreignKeys : keys).add(add);
            }
        }
        String indexesSql = "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = ANY(" + tables + ") "
            + "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)";
        try (Statement statement = pg.createStatement(); ResultSet result = statement.executeQuery(indexesSql)) {
            while (result.next()) {
                drops.add("DROP INDEX " + result.getString(1));
                indexes.add(result.getString(2));
            }
        }
        try (Statement statement = pg.createStatement()) {
            for (String drop : drops) statement.execute(drop);
        }
        List<String> rebuild = new ArrayList<>(keys);
        rebuild.addAll(indexes);
        rebuild.addAll(foreignKeys);
        return rebuild;
    }

    void rebuildKeysAndIndexes(Connection pg, List<String> rebuild) {
        console.step("Rebuilding " + rebuild.size() + " keys, indexes and foreign keys");
        for (String sql : rebuild) {
            try (Statement statement = pg.createStatement()) {
                statement.execute(sql);
            } catch (SQLException e) {
                throw new OxyError(ExitCode.REFUSED, "the loaded rows break a constraint: " + Cli.describe(e).lines().findFirst().orElse(""),
                    "No row was written (the load's transaction was rolled back). --dry-run lists what the target's constraints refuse.", e);
            }
        }
    }

    record TableCopy(long rows, long checksum, long bytes) {}

    /** Streams one table: SQLite cursor -> converters -> COPY text -> PostgreSQL, never the whole table in memory. */
    TableCopy copyTable(Connection sqlite, CopyManagerHolder copy, TablePlan table, Set<Long> skip, long expected, String label) throws Exception {
        List<TargetColumn> targetColumns = table.columns().stream().map(name -> table.target().columns().get(name)).toList();
        boolean binary = CopyBuffer.binaryCovers(targetColumns);
        String sql = "COPY " + quote(table.name()) + " (" + String.join(", ", table.columns().stream().map(migrate_sqlite::quote).toList())
            + ") FROM STDIN" + (binary ? " WITH (FORMAT binary)" : "");
        CopyIn in = copy.start(sql);
        CopyBuffer buffer = new CopyBuffer(in, binary ? targetColumns : null);
        long rows;
        long[] checksum = {0};
        RowChecksum hasher = verify ? new RowChecksum() : null;
        try (ProgressBar progress = progressBar(label, expected)) {
            rows = walkRows(sqlite, table, skip, (values, number) -> {
                buffer.row(values);
                if (hasher != null) checksum[0] += hasher.of(values);
                if (progress != null && (number & 1023) == 0) progress.stepTo(number);
            }, bad -> { throw bad; });
            if (progress != null) progress.stepTo(rows);
            buffer.finish();
        } catch (SQLException e) {
            if (in.isActive()) in.cancelCopy();
            throw new OxyError(ExitCode.REFUSED, "loading " + table.name() + " failed: " + Cli.describe(e).lines().findFirst().orElse(""),
                "No row was written (the load's transaction was rolled back). Fix the source row, or see --skip-orphans / --strip-nul.", e);
        } catch (RuntimeException e) {
            if (in.isActive()) in.cancelCopy();
            throw e;
        }
        return new TableCopy(rows, checksum[0], buffer.bytes());
    }

    /** Takes each converted row with its number (from 1). */
    @FunctionalInterface
    interface RowSink {
        void accept(Object[] values, long number) throws SQLException;
    }

    /**
     * Streams a table's source rows, orphans in skip left out, each value converted by its target column's type,
     * to the sink; returns how many rows it handed on. A bad value goes to onBadValue, which throws (the load) or
     * records it (the dry run, which goes on converting). The values array is reused from row to row.
     */
    long walkRows(Connection sqlite, TablePlan table, Set<Long> skip, RowSink sink, java.util.function.Consumer<OxyError> onBadValue) throws SQLException {
        List<ValueConverter> converters = table.columns().stream().map(name -> converterFor(table.target().columns().get(name))).toList();
        boolean[] notNull = new boolean[converters.size()];
        for (int i = 0; i < notNull.length; i++) notNull[i] = !table.target().columns().get(table.columns().get(i)).nullable();
        long rows = 0;
        try (Statement statement = sqlite.createStatement(); ResultSet result = statement.executeQuery(selectRows(table))) {
            Object[] values = new Object[converters.size()];
            while (result.next()) {
                long rowid = result.getLong(1);
                if (skip.contains(rowid)) continue;
                try {
                    long rowBytes = 0;
                    for (int i = 0; i < values.length; i++) {
                        Object raw = result.getObject(i + 2);
                        rowBytes += raw instanceof byte[] bytes ? bytes.length : raw instanceof String text ? 2L * text.length() : 8;
                        try {
                            if (raw == null && notNull[i]) throw new BadValue("NULL, but the PostgreSQL column is NOT NULL");
                            values[i] = raw == null ? null : converters.get(i).convert(raw);
                        } catch (BadValue bad) {
                            values[i] = null;
                            onBadValue.accept(badValue(table, result, rowid, table.columns().get(i), raw, bad.getMessage()));
                        }
                    }
                    if (rowBytes > MAX_ROW_BYTES) { // the dry run says so too: it converts but does not encode
                        java.util.Arrays.fill(values, null);
                        onBadValue.accept(rowTooLarge(table, result, rowid));
                        continue;
                    }
                    sink.accept(values, ++rows);
                } catch (OutOfMemoryError tooLarge) {
                    java.util.Arrays.fill(values, null); // what the row held is garbage by now
                    throw rowTooLarge(table, result, rowid);
                }
            }
        }
        return rows;
    }

    ProgressBar progressBar(String label, long total) {
        if (!Console.isTerminal() || total < 10_000) return null;
        return new ProgressBarBuilder().setTaskName(label).setInitialMax(total).setUpdateIntervalMillis(250).showSpeed().continuousUpdate().build();
    }

    /** One row's values and their COPY encoding must fit in the heap together, with room to spare. */
    static final long MAX_ROW_BYTES = Runtime.getRuntime().maxMemory() / 4;

    OxyError rowTooLarge(TablePlan table, ResultSet row, long rowid) {
        return new OxyError(ExitCode.REFUSED, "table " + table.name() + ", " + rowIdentity(table, row, rowid) + ": the row is too large to move "
            + "in one piece (more than " + MAX_ROW_BYTES / (1 << 20) + " MB of values, a quarter of the " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MB heap)",
            "No row was written. Shrink that row's values in SQLite (a file that large belongs beside the database, not in it).");
    }

    OxyError badValue(TablePlan table, ResultSet row, long rowid, String column, Object raw, String reason) {
        return new OxyError(ExitCode.REFUSED,
            "table " + table.name() + ", " + rowIdentity(table, row, rowid) + ", column " + column + ": " + reason + " (value: " + preview(raw) + ")",
            "No row was written. Fix the value in SQLite" + (reason.contains("NUL") ? ", or rerun with --strip-nul." : "."));
    }

    String rowIdentity(TablePlan table, ResultSet row, long rowid) {
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

    static String preview(Object value) {
        if (value == null) return "NULL";
        if (value instanceof byte[] bytes) {
            String hex = HexFormat.of().formatHex(bytes, 0, Math.min(bytes.length, 24));
            return "x'" + hex + (bytes.length > 24 ? "..." : "") + "' (" + bytes.length + " bytes)";
        }
        if (value instanceof UUID || value instanceof Number || value instanceof Boolean) return value.toString();
        String text = String.valueOf(value).replace("\0", "\\0").replace("\n", "\\n");
        return "'" + (text.length() > 60 ? text.substring(0, 60) + "..." : text) + "'";
    }

    // ---- 5. after the load --------------------------------------------------------------------------------

    /** Identity and serial columns continue after the highest loaded value. */
    void resetSequences(Connection pg, List<TablePlan> plan) throws SQLException {
        String sql = "SELECT c.table_name, c.column_name, pg_get_serial_sequence(quote_ident(c.table_name), c.column_name) "
            + "FROM information_schema.columns c WHERE c.table_schema = current_schema() AND c.table_name = ANY(?) "
            + "AND pg_get_serial_sequence(quote_ident(c.table_name), c.column_name) IS NOT NULL";
        List<String> moves = new ArrayList<>();
        try (PreparedStatement statement = pg.prepareStatement(sql)) {
            statement.setArray(1, pg.createArrayOf("text", plan.stream().map(TablePlan::name).toArray()));
            try (ResultSet result = statement.executeQuery()) {
                Set<String> loaded = new java.util.HashSet<>();
                plan.forEach(table -> table.columns().forEach(column -> loaded.add(table.name() + "." + column)));
                while (result.next()) {
                    if (!loaded.contains(result.getString(1) + "." + result.getString(2))) continue; // only columns we loaded
                    String table = quote(result.getString(1));
                    String column = quote(result.getString(2));
                    moves.add("SELECT setval('" + result.getString(3).replace("'", "''") + "', coalesce(max(" + column + "), 1), max("
                        + column + ") IS NOT NULL) FROM " + table);
                }
            }
        }
        try (Statement statement = pg.createStatement()) {
            for (String move : moves) statement.execute(move);
        }
    }

    void verifyCounts(Connection pg, List<TablePlan> plan, LoadResult loaded) throws SQLException {
        List<String> mismatches = new ArrayList<>();
        for (TablePlan table : plan) {
            long inTarget = count(pg, "SELECT count(*) FROM " + quote(table.name()));
            long sent = loaded.rows().get(table.name());
            if (inTarget != sent) mismatches.add(table.name() + ": " + sent + " rows read from SQLite, " + inTarget + " in PostgreSQL");
        }
        if (!mismatches.isEmpty()) {
            pg.rollback();
            throw new OxyError(ExitCode.VERIFICATION_FAILED, "row counts differ after loading: " + String.join("; ", mismatches),
                "The load was rolled back; the target is as it was.");
        }
        console.ok("Row counts match in all " + plan.size() + " tables");
    }

    /** Reads every loaded row back from PostgreSQL and compares the order-independent checksum with what was sent. */
    void verifyChecksums(Connection pg, List<TablePlan> plan, LoadResult loaded) throws SQLException {
        List<String> mismatches = new ArrayList<>();
        RowChecksum hasher = new RowChecksum();
        for (TablePlan table : plan) {
            List<TargetColumn> columns = table.columns().stream().map(name -> table.target().columns().get(name)).toList();
            long checksum = 0;
            try (Statement statement = pg.createStatement()) {
                statement.setFetchSize(10_000);
                try (ResultSet result = statement.executeQuery("SELECT " + String.join(", ", table.columns().stream().map(migrate_sqlite::quote).toList())
                    + " FROM " + quote(table.name()))) {
                    Object[] values = new Object[columns.size()];
                    while (result.next()) {
                        for (int i = 0; i < values.length; i++) values[i] = readBack(result, i + 1, columns.get(i));
                        checksum += hasher.of(values);
                    }
                }
            }
            if (checksum != loaded.checksums().get(table.name())) mismatches.add(table.name());
        }
        if (!mismatches.isEmpty()) {
            pg.rollback();
            throw new OxyError(ExitCode.VERIFICATION_FAILED, "content checksums differ after loading in: " + String.join(", ", mismatches),
                "The load was rolled back; the target is as it was.");
        }
        console.ok("Checksums match in all " + plan.size() + " tables");
    }

    /** A PostgreSQL value as the same Java type its converter produces, so both sides hash alike. */
    static Object readBack(ResultSet result, int index, TargetColumn column) throws SQLException {
        Object value = switch (category(column.type())) {
            case UUID -> result.getObject(index, UUID.class);
            case BOOLEAN -> result.getBoolean(index);
            case INTEGER -> result.getLong(index);
            case NUMERIC -> result.getBigDecimal(index);
            case REAL -> result.getFloat(index);
            case DOUBLE -> result.getDouble(index);
            case TIMESTAMPTZ -> result.getObject(index, OffsetDateTime.class);
            case TIMESTAMP -> result.getObject(index, LocalDateTime.class);
            case DATE -> result.getObject(index, LocalDate.class);
            case JSON -> result.getString(index) == null ? null : new JsonText(result.getString(index));
            case BYTEA -> result.getBytes(index);
            case TEXT -> column.type().equals("bpchar") && result.getString(index) != null ? result.getString(index).stripTrailing() : result.getString(index);
            case OTHER -> result.getString(index) == null ? null : new RawText("");
        };
        return result.wasNull() ? null : value;
    }

    /** Deferred constraints are checked here; a failure still leaves the target as it was. */
    void commit(Connection pg) {
        try {
            pg.commit();
        } catch (SQLException e) {
            throw new OxyError(ExitCode.REFUSED, "PostgreSQL refused the commit: " + Cli.describe(e).lines().findFirst().orElse(""),
                "No row was written (the load's transaction was rolled back).", e);
        }
    }

    /**
     * Quick statistics at once, as vacuumdb --analyze-in-stages starts: the planner knows row counts and rough
     * distributions right away, and autovacuum's analyze (due after a bulk load) refines them.
     */
    void analyze(Connection pg, List<TablePlan> plan) throws SQLException {
        pg.setAutoCommit(true);
        try (Statement statement = pg.createStatement()) {
            statement.execute("SET default_statistics_target = 10");
            for (TablePlan table : plan) statement.execute("ANALYZE " + quote(table.name()));
            statement.execute("RESET default_statistics_target");
        }
    }

    void summarize(List<TablePlan> plan, LoadResult loaded, long started) {
        double seconds = (System.nanoTime() - started) / 1e9;
        long rows = loaded.rows().values().stream().mapToLong(Long::longValue).sum();
        console.ok(String.format(Locale.ROOT, "Migrated %d tables, %,d rows (%s) in %.1f s (%,.0f rows/s)",
            plan.size(), rows, Console.humanBytes(loaded.bytes()), seconds, rows / Math.max(seconds, 0.001)));
    }

    // ---- dry run ------------------------------------------------------------------------------------------

    int reportDryRun(Connection sqlite, List<TablePlan> plan, Map<String, Set<Long>> orphans, List<SchemaMigrations.Migration> pending,
                     List<String> problems) throws Exception {
        console.plain("[DRY RUN] Would migrate:");
        for (TablePlan table : plan) {
            Set<Long> skipped = orphans.getOrDefault(table.name(), Set.of());
            long rows = walkRows(sqlite, table, skipped, (values, number) -> {}, bad -> problems.add(bad.getMessage()));
            console.plain(String.format("  %-28s %,d records%s", table.name() + ":", rows, skipped.isEmpty() ? "" : " (" + skipped.size() + " orphans skipped)"));
        }
        if (!pending.isEmpty()) console.plain("[DRY RUN] Schema migrations that would be applied first: " + pending);
        if (problems.isEmpty()) {
            console.ok("[DRY RUN] No problems found; nothing was written");
            return ExitCode.OK;
        }
        console.plain("[DRY RUN] Problems the real run would hit (" + problems.size() + "):");
        problems.stream().limit(50).forEach(problem -> console.plain("  - " + problem));
        if (problems.size() > 50) console.plain("  ... and " + (problems.size() - 50) + " more");
        console.plain("[DRY RUN] Nothing was written.");
        return ExitCode.REFUSED;
    }

    // ---- --create-schema ----------------------------------------------------------------------------------

    /** Creates the tables PostgreSQL lacks from SQLite's declarations, in this transaction. */
    void createMissingTables(Connection pg, Map<String, SourceTable> sources) throws SQLException {
        Set<String> existing = readTargetSchema(pg).keySet();
        List<String> created = new ArrayList<>();
        List<String> foreignKeys = new ArrayList<>();
        for (SourceTable table : sources.values()) {
            if (LEDGERS.contains(table.name()) || existing.contains(table.name())) continue;
            try (Statement statement = pg.createStatement()) {
                statement.execute(SchemaFromSqlite.createTable(table, console));
            }
            created.add(table.name());
            for (String[] key : table.foreignKeys()) {
                if (sources.containsKey(key[1]) || existing.contains(key[1])) {
                    foreignKeys.add("ALTER TABLE " + quote(table.name()) + " ADD FOREIGN KEY (" + quote(key[0]) + ") REFERENCES "
                        + quote(key[1]) + (key[2] == null ? "" : " (" + quote(key[2]) + ")") + " DEFERRABLE");
                }
            }
        }
        for (String foreignKey : foreignKeys) {
            try (Statement statement = pg.createStatement()) {
                statement.execute(foreignKey);
            }
        }
        if (!created.isEmpty()) console.ok((dryRun ? "[DRY RUN] Would create " : "Created ") + created.size() + " table(s) from the SQLite schema: " + created);
    }

    /** SQLite declarations to PostgreSQL DDL: type affinities to types, INTEGER PRIMARY KEY to identity, function defaults translated. */
    static final class SchemaFromSqlite {
        static String createTable(SourceTable table, Console console) {
            List<String> definitions = new ArrayList<>();
            List<SourceColumn> keys = table.columns().stream().filter(c -> c.primaryKeyIndex() > 0)
                .sorted((a, b) -> Integer.compare(a.primaryKeyIndex(), b.primaryKeyIndex())).toList();
            boolean rowidKey = keys.size() == 1 && keys.get(0).declaredType() != null && keys.get(0).declaredType().equalsIgnoreCase("INTEGER");
            for (SourceColumn column : table.columns()) {
                String type = rowidKey && keys.get(0) == column ? "bigint GENERATED BY DEFAULT AS IDENTITY" : typeFor(column.declaredType());
                StringBuilder definition = new StringBuilder(quote(column.name())).append(' ').append(type);
                if (column.notNull() && !(rowidKey && keys.get(0) == column)) definition.append(" NOT NULL");
                String defaultValue = defaultFor(column.defaultValue(), type);
                if (column.defaultValue() != null && defaultValue == null) {
                    console.warn("dropping the default " + column.defaultValue() + " of " + table.name() + "." + column.name() + " (no PostgreSQL equivalent)");
                }
                if (defaultValue != null && !type.contains("IDENTITY")) definition.append(" DEFAULT ").append(defaultValue);
                definitions.add(definition.toString());
            }
            if (!keys.isEmpty()) definitions.add("PRIMARY KEY (" + String.join(", ", keys.stream().map(c -> quote(c.name())).toList()) + ")");
            return "CREATE TABLE " + quote(table.name()) + " (" + String.join(", ", definitions) + ")";
        }

        static String typeFor(String declared) {
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

        static String defaultFor(String sqliteDefault, String type) {
            if (sqliteDefault == null) return null;
            String value = sqliteDefault.strip();
            while (value.startsWith("(") && value.endsWith(")")) value = value.substring(1, value.length() - 1).strip();
            String lower = value.toLowerCase(Locale.ROOT);
            if (lower.equals("current_timestamp") || lower.matches("datetime\\s*\\(\\s*'now'\\s*(,\\s*'(utc|localtime)'\\s*)?\\)")) return "now()";
            if (lower.equals("current_date") || lower.matches("date\\s*\\(\\s*'now'\\s*\\)")) return "current_date";
            if (lower.equals("current_time") || lower.matches("time\\s*\\(\\s*'now'\\s*\\)")) return "current_time";
            if (type.equals("boolean")) {
                if (lower.equals("true") || lower.equals("1")) return "true";
                if (lower.equals("false") || lower.equals("0")) return "false";
                return null;
            }
            if (lower.equals("null") || lower.matches("-?\\d+(\\.\\d+)?")) return value;
            if (value.matches("'([^']|'')*'")) return value;
            if (type.equals("uuid") && lower.matches("x'[0-9a-f]{32}'")) {
                String hex = lower.substring(2, 34);
                return "'" + hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-" + hex.substring(16, 20) + "-" + hex.substring(20) + "'";
            }
            return null;
        }
    }

    // ---- value conversion, by the target column's type ----------------------------------------------------

    enum Category { UUID, BOOLEAN, INTEGER, NUMERIC, REAL, DOUBLE, TIMESTAMPTZ, TIMESTAMP, DATE, JSON, BYTEA, TEXT, OTHER }

    static Category category(String udtName) {
        return switch (udtName) {
            case "uuid" -> Category.UUID;
            case "bool" -> Category.BOOLEAN;
            case "int2", "int4", "int8" -> Category.INTEGER;
            case "numeric" -> Category.NUMERIC;
            case "float4" -> Category.REAL;
            case "float8" -> Category.DOUBLE;
            case "timestamptz" -> Category.TIMESTAMPTZ;
            case "timestamp" -> Category.TIMESTAMP;
            case "date" -> Category.DATE;
            case "json", "jsonb" -> Category.JSON;
            case "bytea" -> Category.BYTEA;
            case "text", "varchar", "bpchar", "name", "citext" -> Category.TEXT;
            default -> Category.OTHER;
        };
    }

    /** A value PostgreSQL would reject, with the reason in words. */
    static final class BadValue extends Exception {
        BadValue(String reason) { super(reason, null, false, false); }
    }

    @FunctionalInterface
    interface ValueConverter {
        Object convert(Object sqliteValue) throws BadValue;
    }

    /** JSON text that has been checked, sent as is (jsonb normalises it). */
    record JsonText(String text) {}

    /** Text for a type we do not convert (PostgreSQL parses it). */
    record RawText(String text) {}

    ValueConverter converterFor(TargetColumn column) {
        return switch (category(column.type())) {
            case UUID -> Values::uuid;
            case BOOLEAN -> Values::bool;
            case INTEGER -> value -> Values.integer(value, column.type());
            case NUMERIC -> Values::numeric;
            case REAL -> value -> Values.floating(value).floatValue();
            case DOUBLE -> Values::floating;
            case TIMESTAMPTZ -> value -> Values.instant(value).atOffset(ZoneOffset.UTC);
            case TIMESTAMP -> value -> LocalDateTime.ofInstant(Values.instant(value), ZoneOffset.UTC);
            case DATE -> value -> LocalDate.ofInstant(Values.instant(value), ZoneOffset.UTC);
            case JSON -> value -> Values.json(value, stripNul, column.type().equals("jsonb"));
            case BYTEA -> value -> value instanceof byte[] bytes ? bytes : String.valueOf(value).getBytes(StandardCharsets.UTF_8);
            case TEXT -> column.type().equals("bpchar")
                ? value -> Values.text(value, stripNul, column.maxLength()).stripTrailing() // char(n): trailing blanks carry no meaning
                : value -> Values.text(value, stripNul, column.maxLength());
            case OTHER -> value -> new RawText(Values.text(value, stripNul, null));
        };
    }

    /** The conversions themselves: SQLite's dynamic values in, typed Java values out, or the reason they cannot be. */
    static final class Values {
        private static final Pattern UUID_TEXT = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
        private static final Pattern UUID_HEX = Pattern.compile("[0-9a-fA-F]{32}");
        private static final Pattern DIGITS = Pattern.compile("-?\\d+");
        private static final Pattern ZONE_NAME = Pattern.compile(" ?(UTC|GMT)$");
        private static final Pattern SPACE_BEFORE_OFFSET = Pattern.compile(" ([+-]\\d)");
        private static final JsonFactory JSON = new JsonFactory();
        private static final long MILLIS_FROM = 100_000_000_000L; // epoch seconds this large are past year 5000: such values are milliseconds
        private static final DateTimeFormatter TIMESTAMP = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE).appendLiteral('T')
            .appendValue(ChronoField.HOUR_OF_DAY, 2).appendLiteral(':').appendValue(ChronoField.MINUTE_OF_HOUR, 2)
            .optionalStart().appendLiteral(':').appendValue(ChronoField.SECOND_OF_MINUTE, 2).optionalEnd()
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd()
            .optionalStart().appendOffset("+HH:MM", "Z").optionalEnd()
            .optionalStart().appendOffset("+HHMM", "Z").optionalEnd()
            .optionalStart().appendOffset("+HH", "Z").optionalEnd()
            .toFormatter(Locale.ROOT).withResolverStyle(java.time.format.ResolverStyle.STRICT); // February 30th is refused, not moved to the 29th

        static UUID uuid(Object value) throws BadValue {
            if (value instanceof byte[] bytes) {
                if (bytes.length != 16) throw new BadValue("a " + bytes.length + "-byte blob is not a uuid (16 bytes)");
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                return new UUID(buffer.getLong(), buffer.getLong());
            }
            String text = String.valueOf(value).strip();
            if (UUID_TEXT.matcher(text).matches()) return UUID.fromString(text);
            if (UUID_HEX.matcher(text).matches()) {
                return UUID.fromString(text.substring(0, 8) + "-" + text.substring(8, 12) + "-" + text.substring(12, 16) + "-" + text.substring(16, 20) + "-" + text.substring(20));
            }
            throw new BadValue(text.isEmpty() ? "an empty string is not a uuid" : "not a uuid");
        }

        static Boolean bool(Object value) throws BadValue {
            if (value instanceof Number number && (number instanceof Integer || number instanceof Long)) {
                if (number.longValue() == 0) return false;
                if (number.longValue() == 1) return true;
                throw new BadValue("only 0 and 1 are booleans");
            }
            return switch (String.valueOf(value).strip().toLowerCase(Locale.ROOT)) {
                case "t", "true", "1" -> true;
                case "f", "false", "0" -> false;
                default -> throw new BadValue("not a boolean (0/1, t/f, true/false)");
            };
        }

        static Long integer(Object value, String type) throws BadValue {
            long number;
            if (value instanceof Integer || value instanceof Long) {
                number = ((Number) value).longValue();
            } else if (value instanceof Double d) {
                if (d != Math.rint(d) || Double.isInfinite(d)) throw new BadValue("not a whole number");
                // SQLite keeps integers past bigint as REAL; longValue() would clamp them to the largest bigint
                if (d >= 0x1p63 || d < -0x1p63) throw new BadValue("out of range for " + type);
                number = d.longValue();
            } else {
                try {
                    number = new BigDecimal(String.valueOf(value).strip()).longValueExact();
                } catch (NumberFormatException | ArithmeticException e) {
                    throw new BadValue("not a whole number within the range of " + type);
                }
            }
            long min = type.equals("int2") ? Short.MIN_VALUE : type.equals("int4") ? Integer.MIN_VALUE : Long.MIN_VALUE;
            long max = type.equals("int2") ? Short.MAX_VALUE : type.equals("int4") ? Integer.MAX_VALUE : Long.MAX_VALUE;
            if (number < min || number > max) throw new BadValue("out of range for " + type);
            return number;
        }

        static BigDecimal numeric(Object value) throws BadValue {
            if (value instanceof Integer || value instanceof Long) return BigDecimal.valueOf(((Number) value).longValue());
            if (value instanceof Double d) return BigDecimal.valueOf(d);
            try {
                return new BigDecimal(String.valueOf(value).strip());
            } catch (NumberFormatException e) {
                throw new BadValue("not a number");
            }
        }

        static Double floating(Object value) throws BadValue {
            if (value instanceof Number number) return number.doubleValue();
            try {
                return Double.parseDouble(String.valueOf(value).strip());
            } catch (NumberFormatException e) {
                throw new BadValue("not a number");
            }
        }

        /** ISO-8601 text with or without zone (no zone = UTC, as SQLite's CURRENT_TIMESTAMP), epoch seconds or milliseconds. */
        static Instant instant(Object value) throws BadValue {
            if (value instanceof Integer || value instanceof Long) return fromEpoch(((Number) value).longValue(), 0);
            if (value instanceof Double d) return fromEpoch((long) Math.floor(d), d - Math.floor(d));
            String text = String.valueOf(value).strip();
            Instant common = commonIsoForm(text);
            if (common != null) return common;
            if (DIGITS.matcher(text).matches()) {
                try {
                    return fromEpoch(Long.parseLong(text), 0);
                } catch (NumberFormatException e) {
                    throw new BadValue("not a timestamp");
                }
            }
            if (text.length() == 10) text = text + "T00:00";
            if (text.length() > 10 && text.charAt(10) == ' ') text = text.substring(0, 10) + 'T' + text.substring(11);
            text = ZONE_NAME.matcher(text).replaceFirst("Z");
            text = SPACE_BEFORE_OFFSET.matcher(text).replaceFirst("$1");
            try {
                var parsed = TIMESTAMP.parseBest(text, OffsetDateTime::from, LocalDateTime::from);
                Instant instant = parsed instanceof OffsetDateTime offset ? offset.toInstant() : ((LocalDateTime) parsed).toInstant(ZoneOffset.UTC);
                return roundToMicros(instant);
            } catch (java.time.DateTimeException e) {
                throw new BadValue("not a timestamp (ISO-8601, 'YYYY-MM-DD HH:MM:SS', or epoch seconds/milliseconds)");
            }
        }

        /**
         * The two forms Oxy writes ('2025-06-11T01:56:38.123456789+00:00' and '2025-06-11 01:56:38'), parsed by
         * hand: the general formatter costs more than the rest of a row. Anything else returns null.
         */
        static Instant commonIsoForm(String text) {
            int length = text.length();
            if (length < 19 || text.charAt(4) != '-' || text.charAt(7) != '-' || (text.charAt(10) != 'T' && text.charAt(10) != ' ')
                || text.charAt(13) != ':' || text.charAt(16) != ':') return null;
            int year = digits(text, 0, 4), month = digits(text, 5, 7), day = digits(text, 8, 10);
            int hour = digits(text, 11, 13), minute = digits(text, 14, 16), second = digits(text, 17, 19);
            if ((year | month | day | hour | minute | second) < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
            int position = 19;
            long nanos = 0;
            if (position < length && text.charAt(position) == '.') {
                int start = ++position;
                while (position < length && Character.isDigit(text.charAt(position))) position++;
                int count = position - start;
                if (count == 0 || count > 9) return null;
                nanos = digits(text, start, position);
                for (int i = count; i < 9; i++) nanos *= 10;
            }
            int offsetSeconds = 0;
            if (position < length) {
                char sign = text.charAt(position);
                if (sign == 'Z' && position + 1 == length) {
                    offsetSeconds = 0;
                } else if ((sign == '+' || sign == '-') && length - position == 6 && text.charAt(position + 3) == ':') {
                    int hours = digits(text, position + 1, position + 3), minutes = digits(text, position + 4, position + 6);
                    if ((hours | minutes) < 0) return null;
                    offsetSeconds = (sign == '-' ? -1 : 1) * (hours * 3600 + minutes * 60);
                } else {
                    return null;
                }
            }
            try {
                long epochSecond = LocalDate.of(year, month, day).toEpochDay() * 86400 + hour * 3600L + minute * 60L + second - offsetSeconds;
                return roundToMicros(Instant.ofEpochSecond(epochSecond, nanos));
            } catch (java.time.DateTimeException e) {
                return null; // e.g. February 30th: let the general parser name it
            }
        }

        /** The decimal number in text[from, to), or -1 if any character is not a digit. */
        private static int digits(String text, int from, int to) {
            int value = 0;
            for (int i = from; i < to; i++) {
                char c = text.charAt(i);
                if (c < '0' || c > '9') return -1;
                value = value * 10 + (c - '0');
            }
            return value;
        }

        private static Instant fromEpoch(long whole, double fraction) throws BadValue {
            try {
                Instant instant = Math.abs(whole) >= MILLIS_FROM
                    ? Instant.ofEpochMilli(whole).plusNanos((long) (fraction * 1_000_000))
                    : Instant.ofEpochSecond(whole).plusNanos((long) (fraction * 1_000_000_000));
                return roundToMicros(instant);
            } catch (java.time.DateTimeException | ArithmeticException e) {
                throw new BadValue("epoch value out of range");
            }
        }

        /** PostgreSQL keeps microseconds; rounding here makes what we send exactly what it stores. */
        private static Instant roundToMicros(Instant instant) {
            return instant.plusNanos(500).truncatedTo(ChronoUnit.MICROS);
        }

        static JsonText json(Object value, boolean stripNul, boolean jsonb) throws BadValue {
            String text = value instanceof byte[] bytes ? utf8(bytes) : String.valueOf(value);
            if (text.indexOf('\0') >= 0) {
                if (!stripNul) throw new BadValue("JSON containing a NUL character");
                text = text.replace("\0", "");
            }
            if (jsonb && text.contains("\\u0000")) {
                if (!stripNul) throw new BadValue("JSON containing \\u0000, which jsonb rejects (NUL)");
                text = text.replaceAll("(?<!\\\\)((?:\\\\\\\\)*)\\\\u0000", "$1");
            }
            try (JsonParser parser = JSON.createParser(text)) {
                if (parser.nextToken() == null) throw new BadValue("empty JSON");
                parser.skipChildren();
                if (parser.nextToken() != null) throw new BadValue("invalid JSON: more than one value");
            } catch (IOException e) {
                throw new BadValue("invalid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
            }
            return new JsonText(text);
        }

        static String text(Object value, boolean stripNul, Integer maxLength) throws BadValue {
            String text = value instanceof byte[] bytes ? utf8(bytes) : value instanceof Double d ? BigDecimal.valueOf(d).toPlainString() : String.valueOf(value);
            if (text.indexOf('\0') >= 0) {
                if (!stripNul) throw new BadValue("text containing a NUL character, which PostgreSQL rejects");
                text = text.replace("\0", "");
            }
            if (maxLength != null && text.codePointCount(0, text.length()) > maxLength) {
                throw new BadValue("longer than " + maxLength + " characters");
            }
            return text;
        }

        static String utf8(byte[] bytes) throws BadValue {
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw new BadValue("binary data that is not UTF-8 text");
            }
        }
    }

    // ---- COPY text format ---------------------------------------------------------------------------------

    /** The PgJDBC copy handle for one connection. */
    static final class CopyManagerHolder {
        private final org.postgresql.copy.CopyManager manager;

        CopyManagerHolder(Connection connection) throws SQLException {
            this.manager = connection.unwrap(PGConnection.class).getCopyAPI();
        }

        CopyIn start(String sql) throws SQLException { return manager.copyIn(sql); }
    }

    /**
     * Rows encoded for COPY into a 1 MiB buffer that is flushed to the server as it fills. Binary format where
     * every column has a binary encoding here (the server then parses no text: uuids are 16 bytes, timestamps
     * 8); text format otherwise (numeric and other types), which PostgreSQL parses itself.
     */
    static final class CopyBuffer {
        private static final DateTimeFormatter TIMESTAMPTZ = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSSSSSxxx", Locale.ROOT);
        private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSSSSS", Locale.ROOT);
        private static final byte[] BINARY_HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};
        private static final long POSTGRES_EPOCH_SECONDS = 946_684_800L; // 2000-01-01T00:00:00Z, zero of the binary timestamps
        private static final long POSTGRES_EPOCH_DAYS = 10_957L;
        private static final Set<Category> BINARY = Set.of(Category.UUID, Category.BOOLEAN, Category.INTEGER, Category.REAL, Category.DOUBLE,
            Category.TIMESTAMPTZ, Category.TIMESTAMP, Category.DATE, Category.JSON, Category.BYTEA, Category.TEXT);

        private final CopyIn copy;
        private final List<TargetColumn> binaryColumns;
        private final StringBuilder text = new StringBuilder(256);
        private final RowBytes row = new RowBytes();
        private final byte[] buffer = new byte[1 << 20];
        private int used;
        private long total;

        /** binaryColumns: the target columns for binary format, or null for text format. */
        CopyBuffer(CopyIn copy, List<TargetColumn> binaryColumns) throws SQLException {
            this.copy = copy;
            this.binaryColumns = binaryColumns;
            if (binaryColumns != null) put(BINARY_HEADER, BINARY_HEADER.length);
        }

        static boolean binaryCovers(List<TargetColumn> columns) {
            return columns.stream().allMatch(column -> BINARY.contains(category(column.type())));
        }

        void row(Object[] values) throws SQLException {
            if (binaryColumns != null) {
                row.reset();
                row.putShort(values.length);
                for (int i = 0; i < values.length; i++) binary(values[i], binaryColumns.get(i).type());
                put(row.bytes(), row.length());
                return;
            }
            text.setLength(0);
            for (int i = 0; i < values.length; i++) {
                if (i > 0) text.append('\t');
                append(values[i]);
            }
            text.append('\n');
            byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
            put(bytes, bytes.length);
        }

        private void put(byte[] bytes, int length) throws SQLException {
            if (used + length > buffer.length) flush();
            if (length > buffer.length) {
                copy.writeToCopy(bytes, 0, length);
                total += length;
                return;
            }
            System.arraycopy(bytes, 0, buffer, used, length);
            used += length;
        }

        /** One field in binary format: its length, then PostgreSQL's send format of the value. */
        private void binary(Object value, String type) {
            if (value == null) {
                row.putInt(-1);
                return;
            }
            if (value instanceof String string) {
                row.putBytesWithLength(string.getBytes(StandardCharsets.UTF_8), 0);
            } else if (value instanceof JsonText json) {
                byte[] bytes = json.text().getBytes(StandardCharsets.UTF_8);
                if (type.equals("jsonb")) row.putBytesWithLength(bytes, 1); // jsonb's send format: version 1, then the text
                else row.putBytesWithLength(bytes, 0);
            } else if (value instanceof UUID uuid) {
                row.putInt(16);
                row.putLong(uuid.getMostSignificantBits());
                row.putLong(uuid.getLeastSignificantBits());
            } else if (value instanceof Boolean bool) {
                row.putInt(1);
                row.putByte(bool ? 1 : 0);
            } else if (value instanceof Long number) {
                switch (type) {
                    case "int2" -> { row.putInt(2); row.putShort(number.intValue()); }
                    case "int4" -> { row.putInt(4); row.putInt(number.intValue()); }
                    default -> { row.putInt(8); row.putLong(number); }
                }
            } else if (value instanceof Float number) {
                row.putInt(4);
                row.putInt(Float.floatToIntBits(number));
            } else if (value instanceof Double number) {
                row.putInt(8);
                row.putLong(Double.doubleToLongBits(number));
            } else if (value instanceof OffsetDateTime timestamp) {
                row.putInt(8);
                row.putLong(micros(timestamp.toEpochSecond(), timestamp.getNano()));
            } else if (value instanceof LocalDateTime timestamp) {
                row.putInt(8);
                row.putLong(micros(timestamp.toEpochSecond(ZoneOffset.UTC), timestamp.getNano()));
            } else if (value instanceof LocalDate date) {
                row.putInt(4);
                row.putInt((int) (date.toEpochDay() - POSTGRES_EPOCH_DAYS));
            } else if (value instanceof byte[] bytes) {
                row.putBytesWithLength(bytes, 0);
            } else {
                throw new IllegalStateException("no binary encoding for " + value.getClass().getSimpleName() + " in a " + type + " column");
            }
        }

        private static long micros(long epochSecond, int nanos) {
            return (epochSecond - POSTGRES_EPOCH_SECONDS) * 1_000_000L + nanos / 1000;
        }

        private void append(Object value) {
            if (value == null) {
                text.append("\\N");
            } else if (value instanceof String string) {
                escape(string);
            } else if (value instanceof JsonText json) {
                escape(json.text());
            } else if (value instanceof RawText raw) {
                escape(raw.text());
            } else if (value instanceof Boolean bool) {
                text.append(bool ? 't' : 'f');
            } else if (value instanceof OffsetDateTime timestamp) {
                text.append(TIMESTAMPTZ.format(timestamp));
            } else if (value instanceof LocalDateTime timestamp) {
                text.append(TIMESTAMP.format(timestamp));
            } else if (value instanceof BigDecimal decimal) {
                text.append(decimal.toPlainString());
            } else if (value instanceof byte[] bytes) {
                text.append("\\\\x").append(HexFormat.of().formatHex(bytes));
            } else {
                text.append(value); // UUID, Long, Double, Float, LocalDate print as PostgreSQL reads them
            }
        }

        private void escape(String string) {
            for (int i = 0; i < string.length(); i++) {
                char c = string.charAt(i);
                switch (c) {
                    case '\\' -> text.append("\\\\");
                    case '\n' -> text.append("\\n");
                    case '\r' -> text.append("\\r");
                    case '\t' -> text.append("\\t");
                    default -> text.append(c);
                }
            }
        }

        private void flush() throws SQLException {
            if (used == 0) return;
            copy.writeToCopy(buffer, 0, used);
            total += used;
            used = 0;
        }

        void finish() throws SQLException {
            if (binaryColumns != null) {
                row.reset();
                row.putShort(-1); // the binary trailer
                put(row.bytes(), row.length());
            }
            flush();
            copy.endCopy();
        }

        long bytes() { return total; }
    }

    /** A growable big-endian byte buffer for one binary COPY row. */
    static final class RowBytes {
        private byte[] bytes = new byte[1024];
        private int length;

        void reset() { length = 0; }
        byte[] bytes() { return bytes; }
        int length() { return length; }

        private void ensure(int more) {
            if (length + more > bytes.length) bytes = java.util.Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
        }

        void putByte(int value) { ensure(1); bytes[length++] = (byte) value; }

        void putShort(int value) { ensure(2); bytes[length++] = (byte) (value >>> 8); bytes[length++] = (byte) value; }

        void putInt(int value) {
            ensure(4);
            for (int shift = 24; shift >= 0; shift -= 8) bytes[length++] = (byte) (value >>> shift);
        }

        void putLong(long value) {
            ensure(8);
            for (int shift = 56; shift >= 0; shift -= 8) bytes[length++] = (byte) (value >>> shift);
        }

        /** A field: its length (plus an optional leading version byte), the version byte, then the bytes. */
        void putBytesWithLength(byte[] data, int version) {
            putInt(data.length + (version > 0 ? 1 : 0));
            if (version > 0) putByte(version);
            ensure(data.length);
            System.arraycopy(data, 0, bytes, length, data.length);
            length += data.length;
        }
    }

    /**
     * An order-independent checksum: each row's values in a canonical text form (JSON with sorted keys and
     * plain numbers, timestamps as epoch microseconds, ...) hashed to 64 bits, summed over the table.
     */
    static final class RowChecksum {
        private final ObjectMapper canonicalJson = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
        private static final long FNV_PRIME = 0x100000001b3L;
        private static final char[] HEX = "0123456789abcdef".toCharArray();

        /** FNV-1a over each value's canonical text and a separator, fed value by value: a 20 MB value is never copied whole again. */
        long of(Object[] values) {
            long hash = 0xcbf29ce484222325L;
            for (Object value : values) {
                if (value instanceof byte[] bytes) { // its lower-case hex, digit by digit
                    for (byte b : bytes) {
                        hash = (hash ^ HEX[(b >> 4) & 0xf]) * FNV_PRIME;
                        hash = (hash ^ HEX[b & 0xf]) * FNV_PRIME;
                    }
                } else {
                    String text = canonical(value);
                    for (int i = 0; i < text.length(); i++) hash = (hash ^ text.charAt(i)) * FNV_PRIME;
                }
                hash = (hash ^ '\u0001') * FNV_PRIME;
            }
            hash ^= hash >>> 33; // final avalanche (splitmix-style) so that sums of similar rows do not cancel
            hash *= 0xff51afd7ed558ccdL;
            hash ^= hash >>> 33;
            return hash;
        }

        private String canonical(Object value) {
            if (value == null) return "\u0002";
            if (value instanceof OffsetDateTime timestamp) {
                Instant instant = timestamp.toInstant();
                return Long.toString(instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1000);
            }
            if (value instanceof BigDecimal decimal) return decimal.stripTrailingZeros().toPlainString();
            if (value instanceof byte[] bytes) return HexFormat.of().formatHex(bytes);
            if (value instanceof JsonText json) {
                try {
                    return canonicalJson.writeValueAsString(sortedJson(canonicalJson.readTree(json.text())));
                } catch (IOException e) {
                    return json.text();
                }
            }
            if (value instanceof RawText) return ""; // types PostgreSQL reformats (inet, interval, ...) are not compared
            return value.toString();
        }

        private Object sortedJson(JsonNode node) {
            if (node.isObject()) {
                Map<String, Object> sorted = new TreeMap<>();
                node.fields().forEachRemaining(field -> sorted.put(field.getKey(), sortedJson(field.getValue())));
                return sorted;
            }
            if (node.isArray()) {
                List<Object> items = new ArrayList<>();
                node.forEach(item -> items.add(sortedJson(item)));
                return items;
            }
            if (node.isNumber()) return node.decimalValue().stripTrailingZeros().toPlainString();
            if (node.isNull()) return null;
            return node.isTextual() ? node.textValue() : node.toString();
        }
    }

    // ---- small helpers ------------------------------------------------------------------------------------

    OxyError refused(List<String> problems) {
        List<String> shown = new ArrayList<>(problems.subList(0, Math.min(problems.size(), 30)));
        if (problems.size() > 30) shown.add("... and " + (problems.size() - 30) + " more");
        return new OxyError(ExitCode.REFUSED, "pre-flight checks found " + problems.size() + " problem(s); nothing was written",
            "Fix them, or see --truncate, --skip-orphans, --strict, --create-schema; --dry-run lists every problem.", shown, null);
    }

    static long count(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(sql)) {
            result.next();
            return result.getLong(1);
        }
    }

    /** The source rows of a planned table: rowid first, then the mapped columns in plan order. */
    static String selectRows(TablePlan table) {
        return "SELECT " + (table.source().hasRowid() ? "rowid" : "NULL") + ", " + String.join(", ", table.columns().stream().map(migrate_sqlite::quote).toList()) + " FROM " + quote(table.source().name());
    }

    /** A quoted identifier; SQLite and PostgreSQL quote alike (standard SQL). */
    static String quote(String identifier) { return "\"" + identifier.replace("\"", "\"\"") + "\""; }

    static String unquote(String regclass) {
        String name = regclass.contains(".") ? regclass.substring(regclass.lastIndexOf('.') + 1) : regclass;
        return name.startsWith("\"") ? name.substring(1, name.length() - 1).replace("\"\"", "\"") : name;
    }
}
