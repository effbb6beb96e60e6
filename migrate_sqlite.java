///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/**/*.java

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import org.sqlite.SQLiteConfig;

/**
 * migrate_sqlite: move a SQLite file into PostgreSQL in one transaction. The mode first (app: into the app's
 * schema; generic: the file's own schema), said in one line; pre-flight checks (readable file, reachable target,
 * every table and column mapped, empty target), then each table streamed with COPY in foreign-key
 * order, converted by the target column's type, keys and indexes rebuilt, row counts (and with --verify,
 * checksums) compared and SQLite's integrity check and the orphan check (both run beside the load) awaited before the commit. Any failure or interrupt rolls everything back. The dry run does the
 * same load in a transaction it rolls back, so it meets every refusal the real run would.
 */
@Command(name = "migrate_sqlite", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
    description = {"Move a SQLite file (the app's, or any other) into PostgreSQL: verified, all or nothing.",
        "The rows load in one transaction: an error, Ctrl+C or kill writes none of them; after an error an empty",
        "target also loses again the schema migrations/ made for it (a kill leaves those empty tables for the rerun)."},
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

    @Option(names = "--mode", defaultValue = "auto", paramLabel = "auto|app|generic",
        description = "app: into the app's schema (our migrations/ applied to an empty or our own target); generic: the file's own tables, "
            + "never the app's schema. Default auto: app when the file has seaql_migrations (the app's ledger) or the target is ours.")
    String mode;

    @Option(names = "--dry-run", description = "Write nothing: do the whole load in a transaction that is rolled back, and report every problem the real run would meet.")
    boolean dryRun;

    @Option(names = "--truncate", description = "Empty the target tables first (in the same transaction) instead of refusing a non-empty target.")
    boolean truncate;

    @Option(names = "--strict", description = "Refuse tables that exist only in SQLite instead of skipping them.")
    boolean strict;

    @Option(names = "--skip-orphans", description = "Leave out rows whose foreign keys point nowhere (counted), instead of refusing.")
    boolean skipOrphans;

    @Option(names = "--strip-nul", description = "Remove NUL characters from text and \\u0000 from JSON, which PostgreSQL rejects, instead of refusing.")
    boolean stripNul;

    @Option(names = "--replace-invalid-utf8", description = "Replace the bytes of SQLite text that are not well-formed UTF-8 with U+FFFD (counted per table), instead of refusing the value.")
    boolean replaceInvalidUtf8;

    @Option(names = "--create-schema", description = "Create target tables missing in PostgreSQL from the SQLite schema (any SQLite database, not only the app's).")
    boolean createSchema;

    @Option(names = "--verify", description = "Also compare an order-independent checksum of every table's content on both sides.")
    boolean verify;

    private final Console console = Console.standard();

    /** Tables --create-schema made in the load's transaction: nobody else sees them, so they load with COPY FREEZE. */
    private final Set<String> createdInThisTransaction = new java.util.HashSet<>();

    public static void main(String... args) {
        Cli.run(new migrate_sqlite(), args);
    }

    @Override
    public Integer call() throws Exception {
        Path source = sourcePath();
        PostgresUrl target = targetUrl();
        long started = System.nanoTime();
        try (Connection sqlite = openSource(source); IntegrityCheck integrity = checkIntegrityBeside(sqlite, source)) {
            try {
                return migrate(sqlite, source, target, integrity, started);
            } catch (Exception e) {
                throw integrity.explain(e); // a damaged file explains what the load met
            }
        }
    }

    Integer migrate(Connection sqlite, Path source, PostgresUrl target, IntegrityCheck integrity, long started) throws Exception {
        Map<String, SqliteSchema.Table> sourceTables = SqliteSchema.read(sqlite, console);
        if (sourceTables.isEmpty()) {
            throw new OxyError(ExitCode.REFUSED, source + " holds no tables: nothing to migrate", "Check --from (or SQLITE_URL); nothing was written.");
        }
        refuseEmptyColumnNames(sourceTables);
        try (Connection pg = connectTarget(target)) {
            MigrationMode decided = MigrationMode.decide(mode, sourceTables, SchemaOwner.of(pg));
            console.info(decided.describe());
            List<SchemaMigrations.Migration> pending = decided.appliesOurMigrations() ? pendingMigrations(target) : List.of();
            pg.setAutoCommit(false);
            // the pre-flight, in a transaction that is rolled back: the migrations and new tables it needs are
            // made there, so a refusal, in the dry run and the real run alike, leaves the target as it was
            applyInTransaction(pg, pending);
            Set<String> madeByMigrations = decided.target().kind() == SchemaOwner.Kind.EMPTY ? SchemaOwner.tablesIn(pg) : Set.of();
            if (createSchema) createMissingTables(pg, sourceTables, dryRun); // the real run says it when it does it
            List<String> problems = new ArrayList<>();
            List<TablePlan> plan = plan(sourceTables, TargetSchema.read(pg), problems, console);
            try (OrphanCheck orphanCheck = OrphanCheck.start(openSource(source), plan, keysOnlyTheTargetHas(pg, plan), skipOrphans)) {
                // a run that skips orphans needs them before the load, and a dry run or a refusal lists them in order;
                // any other run loads while they are looked for, and the commit waits for them
                Map<String, Set<Long>> orphans = dryRun || skipOrphans ? orphans(orphanCheck, problems) : null;
                List<String> notEmpty = new ArrayList<>();
                checkTargetEmpty(pg, plan, notEmpty, false);
                if (orphans == null && !(problems.isEmpty() && notEmpty.isEmpty())) orphans = orphans(orphanCheck, problems);
                problems.addAll(notEmpty);
                if (dryRun) {
                    int exitCode = dryRun(sqlite, pg, source, plan, orphans, pending, problems, integrity);
                    pg.rollback(); // the dry run's schema, load and checks leave nothing behind
                    return exitCode;
                }
                pg.rollback();
                if (!problems.isEmpty()) throw refused(problems);
                // for real: the same schema, now through Flyway (its history), then the load in one transaction
                if (!pending.isEmpty()) applyMigrations(target);
                LoadResult loaded;
                try {
                    if (createSchema) createMissingTables(pg, sourceTables, true);
                    plan = plan(sourceTables, TargetSchema.read(pg), new ArrayList<>(), Console.silent()); // its skips were said in the pre-flight
                    List<String> lateProblems = new ArrayList<>(); // rows that arrived since the pre-flight
                    checkTargetEmpty(pg, plan, lateProblems, true);
                    if (!lateProblems.isEmpty()) throw refused(lateProblems);
                    loaded = load(sqlite, pg, source, plan, orphans == null ? Map.of() : orphans, refusal -> { throw refusal; });
                    resetSequences(pg, plan);
                    verifyCounts(pg, plan, loaded);
                    if (verify) verifyChecksums(pg, plan, loaded);
                    if (orphans == null) refuseOrphans(pg, orphanCheck);
                    awaitIntegrity(integrity);
                    commit(pg);
                } catch (Exception e) {
                    if (!pending.isEmpty()) undoMigrations(pg, madeByMigrations);
                    throw orphans == null ? explainByOrphans(orphanCheck, e) : e;
                }
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

    /**
     * The file is SQLite (its schema reads); the whole-file integrity check then runs on its own connection beside
     * the load, and the commit (or the dry run's verdict) waits for it: a damaged file still writes nothing.
     */
    IntegrityCheck checkIntegrityBeside(Connection sqlite, Path file) throws Exception {
        try (Statement statement = sqlite.createStatement(); ResultSet result = statement.executeQuery("SELECT count(*) FROM sqlite_master")) {
            result.next();
        } catch (SQLException e) {
            throw new OxyError(ExitCode.REFUSED, file + " is not a readable SQLite database (" + Cli.describe(e) + ")",
                "Check --from: it must be the app's db.sqlite.", e);
        }
        console.ok("SQLite file " + file + " is readable (its integrity check runs beside the load)");
        return IntegrityCheck.start(file, openSource(file));
    }

    void awaitIntegrity(IntegrityCheck integrity) {
        integrity.await();
        console.ok("SQLite's integrity check found the file intact");
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

    /**
     * A load that failed after Flyway made the app's tables in an empty target: the tables our migrations made (as
     * the pre-flight saw them) and the history go again, so the target is as it was, not half ours.
     */
    void undoMigrations(Connection pg, Set<String> madeByMigrations) {
        if (madeByMigrations.isEmpty()) return; // the target was ours already: its schema stays
        try {
            pg.rollback();
            pg.setAutoCommit(false);
            try (Statement statement = pg.createStatement()) {
                for (String table : madeByMigrations) statement.execute("DROP TABLE IF EXISTS " + Databases.quote(table) + " CASCADE");
                statement.execute("DROP TABLE IF EXISTS flyway_schema_history");
            }
            pg.commit();
            console.info("The schema this run applied was removed again: the target is empty, as it was");
        } catch (SQLException e) {
            console.warn("could not remove the schema this run applied (" + Cli.describe(e).lines().findFirst().orElse("")
                + "); the target holds the app's empty tables, which a rerun uses");
        }
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

    /** SQLite allows a column named "" (CREATE TABLE t ("" TEXT)); PostgreSQL has no such name, so there is nowhere to put it. */
    void refuseEmptyColumnNames(Map<String, SqliteSchema.Table> tables) {
        List<String> problems = new ArrayList<>();
        for (SqliteSchema.Table table : tables.values()) {
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

    // ---- 3. the plan: which table goes where, in which order -----------------------------------------------

    List<TablePlan> plan(Map<String, SqliteSchema.Table> sources, Map<String, TargetSchema.Table> targets, List<String> problems, Console says) {
        List<TablePlan> mapped = new ArrayList<>();
        for (SqliteSchema.Table source : sources.values()) {
            if (TablePlan.LEDGERS.contains(source.name())) {
                says.info("Skipping " + source.name() + " (a migration ledger; the target keeps its own)");
                continue;
            }
            TargetSchema.Table target = targets.get(source.name());
            if (target == null) {
                if (strict) problems.add("table " + source.name() + " exists only in SQLite (--strict)");
                else says.warn("Skipping table " + source.name() + ": it exists only in SQLite (--create-schema creates it, --strict refuses)");
                continue;
            }
            List<String> columns = new ArrayList<>();
            for (SqliteSchema.Column column : source.columns()) {
                if (target.columns().containsKey(column.name())) columns.add(column.name());
                else problems.add("column " + source.name() + "." + column.name() + " has no column in the PostgreSQL table " + target.name());
            }
            for (TargetSchema.Column column : target.columns().values()) {
                if (!column.nullable() && !column.hasDefault() && !columns.contains(column.name())) {
                    problems.add("column " + target.name() + "." + column.name() + " is NOT NULL without a default and SQLite has no such column");
                }
            }
            mapped.add(new TablePlan(source, target, columns));
        }
        if (mapped.isEmpty()) {
            problems.add("none of the file's tables has a table of the same name in the target: --create-schema creates them from the SQLite schema");
        }
        return TablePlan.inForeignKeyOrder(mapped, says);
    }

    /**
     * Foreign keys only the target has (SQLite's file does not declare them, so its own check cannot see them), on a
     * single column of two loaded tables: the orphan check looks for rows of the file that break them too.
     */
    List<OrphanCheck.TargetKey> keysOnlyTheTargetHas(Connection pg, List<TablePlan> plan) throws SQLException {
        Map<String, TablePlan> byName = new LinkedHashMap<>();
        plan.forEach(table -> byName.put(table.name(), table));
        List<OrphanCheck.TargetKey> keys = new ArrayList<>();
        for (TargetSchema.Constraint key : TargetSchema.constraints(pg)) {
            TablePlan child = byName.get(key.table());
            TablePlan parent = key.parent() == null ? null : byName.get(key.parent());
            if (!key.kind().equals("f") || child == null || parent == null || key.columns().size() != 1 || !child.source().hasRowid()) continue;
            String column = key.columns().get(0), parentColumn = key.parentColumns().get(0);
            if (!child.columns().contains(column) || !parent.columns().contains(parentColumn)) continue;
            boolean declared = child.source().foreignKeys().stream().anyMatch(fk -> fk[0].equals(column) && fk[1].equalsIgnoreCase(parent.source().name()));
            if (!declared) keys.add(new OrphanCheck.TargetKey(child, column, parent, parentColumn, key.name())); // else SQLite's own check covers it
        }
        return keys;
    }

    /** Waits for the orphan check: its warnings said, its problems added, the orphans (table -> rowids) returned. */
    Map<String, Set<Long>> orphans(OrphanCheck check, List<String> problems) throws SQLException {
        OrphanCheck.Found found = check.await();
        found.warnings().forEach(console::warn);
        problems.addAll(found.problems());
        return found.orphans();
    }

    /** Before the commit of a load that ran beside the orphan check: orphans refuse it as the pre-flight would have. */
    void refuseOrphans(Connection pg, OrphanCheck check) throws SQLException {
        List<String> problems = new ArrayList<>();
        orphans(check, problems);
        if (!problems.isEmpty()) {
            pg.rollback();
            throw refused(problems);
        }
    }

    /** After a failure of a load that ran beside the orphan check: orphans (which break a foreign key) are the refusal. */
    Exception explainByOrphans(OrphanCheck check, Exception failure) {
        if (failure instanceof OxyError error && (error.exitCode() == ExitCode.USAGE || error.exitCode() == ExitCode.DATABASE_UNAVAILABLE)) return failure;
        List<String> problems = check.problemsIfAny();
        return problems.isEmpty() ? failure : refused(problems);
    }

    /** forReal: --truncate's TRUNCATE is the load's (the pre-flight's ran in its rolled-back transaction, unsaid). */
    void checkTargetEmpty(Connection pg, List<TablePlan> plan, List<String> problems, boolean forReal) throws SQLException {
        Map<String, Long> filled = new LinkedHashMap<>();
        for (TablePlan table : plan) {
            long count = count(pg, "SELECT count(*) FROM " + Databases.quote(table.name()));
            if (count > 0) filled.put(table.name(), count);
        }
        if (filled.isEmpty()) return;
        if (truncate) {
            Set<String> emptied = new LinkedHashSet<>(plan.stream().map(TablePlan::name).toList());
            Map<String, Long> referencing = TargetSchema.referencing(pg, emptied);
            referencing.forEach((table, count) -> {
                if (count > 0) problems.add("target table " + table + " is not in the SQLite file and its " + count + " row(s) reference "
                    + "the tables --truncate empties: empty or drop it first (--truncate never empties a table it does not load)");
            });
            if (referencing.values().stream().anyMatch(count -> count > 0)) return;
            emptied.addAll(referencing.keySet()); // empty tables outside the file that point at loaded ones: TRUNCATE must name them too
            if (forReal || dryRun) console.step("Emptying " + filled.size() + " target table(s) first (--truncate): " + filled);
            try (Statement statement = pg.createStatement()) {
                statement.execute("TRUNCATE " + String.join(", ", emptied.stream().map(Databases::quote).toList()) + " RESTART IDENTITY");
            }
            return;
        }
        filled.forEach((table, count) -> problems.add("target table " + table + " already holds " + count + " row(s)"));
        problems.add("the target is not empty: rerun with --truncate to replace its rows (in the same transaction)");
    }

    // ---- 4. load ------------------------------------------------------------------------------------------

    /** largestRows: each table's largest row sent, in bytes of values (the checksums' read-back fetches fewer rows at a time the larger it is). */
    record LoadResult(Map<String, Long> rows, Map<String, Long> checksums, Map<String, Long> largestRows, long bytes) {}

    /**
     * The load, the same in the real run and the dry run: each refusal (a bad value, a row COPY refuses, a key or
     * index the rows break) goes to onRefusal, which throws in the real run and lists it in the dry run, which
     * then goes on: a table COPY refused is rolled back to its savepoint, a row with a bad value is left out.
     */
    LoadResult load(Connection sqlite, Connection pg, Path file, List<TablePlan> plan, Map<String, Set<Long>> orphans,
                    Consumer<OxyError> onRefusal) throws Exception {
        try (Statement statement = pg.createStatement()) {
            statement.execute("SET CONSTRAINTS ALL DEFERRED");
            statement.execute("SET LOCAL synchronous_commit = off"); // the commit is one fsync; COPY needs none per row
            statement.execute("SET LOCAL maintenance_work_mem = '256MB'"); // for the index builds after the load
        }
        int[] refusals = {0};
        Consumer<OxyError> counted = refusal -> {
            refusals[0]++;
            onRefusal.accept(refusal);
        };
        TargetSchema.KeysAndIndexes rebuild = dropKeysAndIndexes(pg, plan);
        Map<String, Long> rows = new LinkedHashMap<>();
        Map<String, Long> checksums = new LinkedHashMap<>();
        Map<String, Long> largestRows = new LinkedHashMap<>();
        long bytes = 0;
        int index = 0;
        for (TablePlan table : plan) {
            index++;
            String label = (dryRun ? "[DRY RUN] " : "") + "[" + index + "/" + plan.size() + "] " + table.name();
            TableCopy result = copyTable(sqlite, pg, table, orphans.getOrDefault(table.name(), Set.of()), label, counted);
            rows.put(table.name(), result.rows());
            checksums.put(table.name(), result.checksum());
            largestRows.put(table.name(), result.largestRow());
            bytes += result.bytes();
            console.plain(label + ": Found " + result.found() + " records \u2192 " + (dryRun ? "would migrate " : "Migrated ") + result.rows() + " records \u2713");
            warnReplaced(table, result.replaced());
        }
        rebuildKeysAndIndexes(pg, file, plan, rebuild, refusals[0] == 0, counted);
        return new LoadResult(rows, checksums, largestRows, bytes);
    }

    /**
     * Keys, unique constraints, foreign keys and indexes of the loaded tables are dropped for the load and
     * rebuilt after it, in the same transaction: a bulk build is far cheaper than maintaining them row by
     * row, and a failure or interrupt rolls the drops back with everything else.
     */
    TargetSchema.KeysAndIndexes dropKeysAndIndexes(Connection pg, List<TablePlan> plan) throws SQLException {
        TargetSchema.KeysAndIndexes found = TargetSchema.keysAndIndexes(pg, plan.stream().map(TablePlan::name).toList());
        try (Statement statement = pg.createStatement()) {
            for (String drop : found.drops()) statement.execute(drop);
        }
        return found;
    }

    /**
     * Keys and indexes, then foreign keys, each in a savepoint so that the dry run can name every one the rows
     * break. Foreign keys only over a complete load: with rows or a key left out, their children would look orphaned.
     */
    void rebuildKeysAndIndexes(Connection pg, Path file, List<TablePlan> plan, TargetSchema.KeysAndIndexes rebuild, boolean complete,
                               Consumer<OxyError> onRefusal) throws SQLException {
        console.step("Rebuilding " + rebuild.rebuild().size() + " keys, indexes and foreign keys");
        Map<String, TablePlan> byName = new LinkedHashMap<>();
        plan.forEach(table -> byName.put(table.name(), table));
        boolean keysBuilt = true;
        for (TargetSchema.Rebuild key : rebuild.keys()) keysBuilt &= build(pg, file, key, byName.get(key.table()), onRefusal);
        if (!complete || !keysBuilt) {
            if (!rebuild.foreignKeys().isEmpty()) console.warn("Foreign keys not checked: the problems found so far come first");
            return;
        }
        for (TargetSchema.Rebuild foreignKey : rebuild.foreignKeys()) build(pg, file, foreignKey, byName.get(foreignKey.table()), onRefusal);
    }

    boolean build(Connection pg, Path file, TargetSchema.Rebuild rebuild, TablePlan table, Consumer<OxyError> onRefusal) throws SQLException {
        Savepoint before = pg.setSavepoint();
        try (Statement statement = pg.createStatement()) {
            statement.execute(rebuild.sql());
            pg.releaseSavepoint(before);
            return true;
        } catch (SQLException e) {
            pg.rollback(before);
            long duplicated = "23505".equals(e.getSQLState()) ? duplicatedKeys(pg, rebuild) : -1;
            onRefusal.accept(LoadRefusal.ofRebuild(e, rebuild, table, file, duplicated));
            return false;
        }
    }

    /** How many keys appear more than once among the loaded rows, for the refusal (-1 where an expression is indexed). */
    static long duplicatedKeys(Connection pg, TargetSchema.Rebuild rebuild) throws SQLException {
        if (rebuild.columns().isEmpty()) return -1;
        String columns = String.join(", ", rebuild.columns().stream().map(Databases::quote).toList());
        return count(pg, "SELECT count(*) FROM (SELECT 1 FROM " + Databases.quote(rebuild.table()) + (rebuild.predicate() == null ? "" : " WHERE " + rebuild.predicate())
            + " GROUP BY " + columns + " HAVING count(*) > 1) duplicated");
    }

    /** found: the rows the SQLite table holds; rows: those sent; replaced: text values whose bad UTF-8 became U+FFFD. */
    record TableCopy(long found, long rows, long checksum, long bytes, long replaced, long largestRow) {}

    /**
     * Streams one table: SQLite cursor -> converters -> COPY -> PostgreSQL, never the whole table in memory, in
     * a savepoint: what COPY refuses (a check, NOT NULL, a range) goes to onRefusal and the table to its savepoint.
     * The rows found are counted on the way (a count(*) first read a text-heavy table twice).
     */
    TableCopy copyTable(Connection sqlite, Connection pg, TablePlan table, Set<Long> skip, String label,
                        Consumer<OxyError> onRefusal) throws Exception {
        Savepoint before = pg.setSavepoint();
        boolean freeze = createdInThisTransaction.contains(table.name());
        if (freeze) emptyInThisSavepoint(pg, table);
        CopyWriter writer = new CopyWriter(CopyBuffer.start(pg, table, freeze), verify ? new RowChecksum() : null); // encodes and sends on its own thread
        SourceRows.Walked walked;
        long checksum;
        try (ProgressBar progress = progressBar(sqlite, table, label)) {
            walked = new SourceRows(sqlite, stripNul, replaceInvalidUtf8).walk(table, skip, (values, number) -> {
                writer.row(values);
                if (progress != null && (number & 1023) == 0) progress.stepTo(number);
            }, onRefusal);
            if (progress != null) progress.stepTo(walked.rows());
            checksum = writer.finish();
            pg.releaseSavepoint(before);
        } catch (SQLException e) {
            writer.cancel();
            pg.rollback(before);
            onRefusal.accept(LoadRefusal.ofCopy(e, table.name()));
            return new TableCopy(count(sqlite, "SELECT count(*) FROM " + Databases.quote(table.source().name())), 0, 0, 0, 0, 0); // the walk stopped early
        } catch (RuntimeException | Error e) {
            writer.cancel();
            throw e;
        }
        return new TableCopy(walked.read(), walked.rows(), checksum, writer.bytes(), walked.replaced(), walked.largestRow());
    }

    /** --replace-invalid-utf8 changed values: one line per table says how many, as the option promises. */
    void warnReplaced(TablePlan table, long replaced) {
        if (replaced == 0) return;
        console.warn((dryRun ? "[DRY RUN] " : "") + "table " + table.name() + ": " + replaced + " text value(s) were not well-formed UTF-8; "
            + "their bad bytes " + (dryRun ? "would become" : "became") + " U+FFFD (--replace-invalid-utf8)");
    }

    /**
     * COPY FREEZE writes rows already frozen and visible, so the counts, index builds, ANALYZE and later vacuums do
     * not rewrite every page to mark them; PostgreSQL allows it only on a table created or emptied in the current
     * subtransaction, so the table (made by this transaction, still empty, seen by no one else) is emptied in the
     * savepoint. A rollback undoes it with the rest.
     */
    void emptyInThisSavepoint(Connection pg, TablePlan table) throws SQLException {
        try (Statement statement = pg.createStatement()) {
            statement.execute("TRUNCATE " + Databases.quote(table.name()));
        }
    }

    /** On a terminal, for a large table: its size told by its highest rowid (exact for a table never deleted from, and instant). */
    ProgressBar progressBar(Connection sqlite, TablePlan table, String label) throws SQLException {
        if (!Console.isTerminal() || !table.source().hasRowid()) return null;
        long total = count(sqlite, "SELECT coalesce(max(rowid), 0) FROM " + Databases.quote(table.source().name()));
        if (total < 10_000) return null;
        return new ProgressBarBuilder().setTaskName(label).setInitialMax(total).setUpdateIntervalMillis(250).showSpeed().continuousUpdate().build();
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
                    String table = Databases.quote(result.getString(1));
                    String column = Databases.quote(result.getString(2));
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
            long inTarget = count(pg, "SELECT count(*) FROM " + Databases.quote(table.name()));
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
            List<TargetSchema.Column> columns = table.targetColumns();
            long checksum = 0;
            try (Statement statement = pg.createStatement()) {
                statement.setFetchSize(rowsPerFetch(loaded.largestRows().get(table.name()))); // a fetch holds its rows whole
                try (ResultSet result = statement.executeQuery("SELECT " + String.join(", ", table.columns().stream().map(Databases::quote).toList())
                    + " FROM " + Databases.quote(table.name()))) {
                    Object[] values = new Object[columns.size()];
                    while (result.next()) {
                        for (int i = 0; i < values.length; i++) values[i] = RowChecksum.readBack(result, i + 1, columns.get(i));
                        checksum += hasher.of(values);
                    }
                }
            } catch (OutOfMemoryError tooLarge) {
                pg.rollback();
                throw new OxyError(ExitCode.REFUSED, "table " + table.name() + ": a row is too large for --verify to read back in the "
                    + Runtime.getRuntime().maxMemory() / (1 << 20) + " MB heap", "The load was rolled back; the target is as it was. Rerun without --verify.");
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

    /** Rows per fetch of the read-back: 10,000 small ones, or as many of the table's largest as fit in 16 MB (at least one). */
    static int rowsPerFetch(long largestRow) {
        return (int) Math.max(1, Math.min(10_000, (16L << 20) / Math.max(1, largestRow)));
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
        PostLoadCheck.analyze(pg, plan.stream().map(table -> Databases.quote(table.name())).toArray(String[]::new)); // only the tables loaded
    }

    void summarize(List<TablePlan> plan, LoadResult loaded, long started) {
        double seconds = (System.nanoTime() - started) / 1e9;
        long rows = loaded.rows().values().stream().mapToLong(Long::longValue).sum();
        console.ok(String.format(Locale.ROOT, "Migrated %d tables, %,d rows (%s) in %.1f s (%,.0f rows/s)",
            plan.size(), rows, Console.humanBytes(loaded.bytes()), seconds, rows / Math.max(seconds, 0.001)));
    }

    // ---- dry run ------------------------------------------------------------------------------------------

    /**
     * The real run's load in the pre-flight's transaction, rolled back after: whatever PostgreSQL refuses (keys,
     * partial unique indexes, foreign keys, checks, NOT NULL, ranges, on the converted values) is met exactly as the
     * real run meets it. With pre-flight problems, where the real run stops, every row is still converted, to list bad values.
     */
    int dryRun(Connection sqlite, Connection pg, Path file, List<TablePlan> plan, Map<String, Set<Long>> orphans,
               List<SchemaMigrations.Migration> pending, List<String> problems, IntegrityCheck integrity) throws Exception {
        Set<String> hints = new LinkedHashSet<>();
        Consumer<OxyError> listed = refusal -> {
            problems.add(refusal.getMessage());
            if (refusal.hint() != null) hints.add(refusal.hint());
        };
        if (!pending.isEmpty()) console.plain("[DRY RUN] Schema migrations that would be applied first: " + pending);
        console.plain("[DRY RUN] Would migrate:");
        if (problems.isEmpty()) {
            LoadResult loaded = load(sqlite, pg, file, plan, orphans, listed);
            if (problems.isEmpty()) verifyCounts(pg, plan, loaded);
            if (problems.isEmpty() && verify) verifyChecksums(pg, plan, loaded);
        } else {
            for (TablePlan table : plan) {
                Set<Long> skipped = orphans.getOrDefault(table.name(), Set.of());
                SourceRows.Walked walked = new SourceRows(sqlite, stripNul, replaceInvalidUtf8).walk(table, skipped, (values, number) -> {}, listed);
                console.plain(String.format("  %-28s %,d records%s", table.name() + ":", walked.rows(), skipped.isEmpty() ? "" : " (" + skipped.size() + " orphans skipped)"));
                warnReplaced(table, walked.replaced());
            }
        }
        awaitIntegrity(integrity); // a damaged file is the real run's first refusal
        if (problems.isEmpty()) {
            console.ok("[DRY RUN] No problems found; the load was rolled back, nothing was written");
            return ExitCode.OK;
        }
        console.plain("[DRY RUN] Problems the real run would hit (" + problems.size() + "):");
        problems.stream().limit(50).forEach(problem -> console.plain("  - " + problem));
        if (problems.size() > 50) console.plain("  ... and " + (problems.size() - 50) + " more");
        hints.forEach(hint -> console.plain("  " + hint));
        console.plain("[DRY RUN] Nothing was written.");
        return ExitCode.REFUSED;
    }

    // ---- --create-schema ----------------------------------------------------------------------------------

    /** Creates the tables PostgreSQL lacks from SQLite's declarations, in this transaction. */
    void createMissingTables(Connection pg, Map<String, SqliteSchema.Table> sources, boolean say) throws SQLException {
        Set<String> existing = TargetSchema.read(pg).keySet();
        List<SqliteSchema.Table> missing = sources.values().stream()
            .filter(table -> !TablePlan.LEDGERS.contains(table.name()) && !existing.contains(table.name())).toList();
        refuseWhatCannotBeCreated(pg, missing);
        List<String> created = new ArrayList<>();
        createdInThisTransaction.clear(); // the pre-flight's were rolled back
        List<String> foreignKeys = new ArrayList<>();
        for (SqliteSchema.Table table : missing) {
            try (Statement statement = pg.createStatement()) {
                statement.execute(SchemaFromSqlite.createTable(table, say ? console : Console.silent())); // its dropped defaults said once
            }
            created.add(table.name());
            createdInThisTransaction.add(table.name());
            for (String[] key : table.foreignKeys()) {
                if (sources.containsKey(key[1]) || existing.contains(key[1])) {
                    foreignKeys.add(SchemaFromSqlite.addForeignKey(table, key));
                }
            }
        }
        for (String foreignKey : foreignKeys) {
            try (Statement statement = pg.createStatement()) {
                statement.execute(foreignKey);
            }
        }
        if (say && !created.isEmpty()) console.ok((dryRun ? "[DRY RUN] Would create " : "Created ") + created.size() + " table(s) from the SQLite schema: " + created);
    }

    /** Before any table is created: what PostgreSQL would refuse in them (names, a view or sequence in the way), all of it at once. */
    void refuseWhatCannotBeCreated(Connection pg, List<SqliteSchema.Table> missing) throws SQLException {
        Map<String, String> others = new LinkedHashMap<>();
        String schema;
        String sql = "SELECT c.relname, CASE c.relkind WHEN 'v' THEN 'a view' WHEN 'm' THEN 'a materialized view' WHEN 'S' THEN 'a sequence' "
            + "WHEN 'i' THEN 'an index' WHEN 'I' THEN 'an index' WHEN 'f' THEN 'a foreign table' WHEN 'c' THEN 'a composite type' ELSE 'a relation' END "
            + "FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind NOT IN ('r', 'p') "
            + "UNION ALL SELECT t.typname, 'a type' FROM pg_type t WHERE t.typnamespace = current_schema()::regnamespace AND t.typrelid = 0";
        try (Statement statement = pg.createStatement(); ResultSet result = statement.executeQuery("SELECT current_schema()")) {
            result.next();
            schema = result.getString(1);
        }
        try (Statement statement = pg.createStatement(); ResultSet result = statement.executeQuery(sql)) {
            while (result.next()) others.putIfAbsent(result.getString(1), result.getString(2));
        }
        List<String> problems = SchemaFromSqlite.cannotCreate(missing, others, schema);
        if (problems.isEmpty()) return;
        throw new OxyError(ExitCode.REFUSED, problems.get(0), "--create-schema refuses these before it creates any table; nothing was written.",
            problems.subList(1, problems.size()), null);
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
}
