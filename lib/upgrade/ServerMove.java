import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * upgrade --from-url A --to-url B: the database moved from one external server to another (a newer major, a
 * new managed instance). Dump from A with a pg_dump new enough for both, restore into a new database beside
 * B's (<db>_moving_<time>), verify, rename it to B's name, print B's URL. A is never changed, and until the
 * rename B is as it was: a failure drops the new database, a kill -9 leaves one the next run drops.
 */
public final class ServerMove {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss").withZone(ZoneOffset.UTC);
    /** What a run adds to B's database name: _moving_<time>, and _replaced for an empty database it replaced. */
    private static final String MOVING = "_moving_";
    private static final Pattern OURS = Pattern.compile("\\d{8}_\\d{6}(_replaced)?");
    private static final int LONGEST_NAME = 63; // PostgreSQL's identifiers: longer ones are cut

    private final String fromUrl;
    private final String toUrl;
    private final RuntimeOptions runtime;
    private final Path backupDirectory;
    private final boolean yes;
    private final Console console;

    /** runtime: the shared options, for A's runtime (an external copy of them); yes: end the app's sessions on A. */
    public ServerMove(String fromUrl, String toUrl, RuntimeOptions runtime, Path backupDirectory, boolean yes, Console console) {
        this.fromUrl = fromUrl;
        this.toUrl = toUrl;
        this.runtime = runtime;
        this.backupDirectory = backupDirectory;
        this.yes = yes;
        this.console = console;
    }

    /** dryRun: the plan and the schema's rehearsal on B only (in a new database that is dropped again). */
    public int run(boolean dryRun) throws Exception {
        PostgresUrl from = PostgresUrl.parse(fromUrl);
        PostgresUrl target = PostgresUrl.parse(toUrl);
        int fromMajor = BackupMaker.serverMajor(from);
        int toMajor = BackupMaker.serverMajor(target.withDatabase("postgres"));
        Databases targetDatabases = new Databases(target);
        boolean replacing = checkTarget(target, targetDatabases, fromMajor, toMajor);
        String loading = newDatabaseName(target.database());
        SchemaOwner moving = SchemaOwner.ofDatabase(from); // as the post-load check will judge it on the target
        console.info("Plan: " + from + " (PostgreSQL " + fromMajor + ", " + Console.humanBytes(SingleValue.databaseSize(from)) + ") -> " + target
            + " (PostgreSQL " + toMajor + "): rehearse the schema in a new database " + loading + " on the target, final backup with pg_dump " + toMajor
            + ", restore into it, row counts, " + (moving.mayMigrate() ? "migrations, " : "") + "ANALYZE, rename it to " + target.database()
            + (replacing ? " (replacing the empty one)" : ""));
        if (!moving.mayMigrate()) console.warn(PostLoadCheck.asItIs(moving, "moved"));
        List<String> settings = replacing ? targetDatabases.settings(target.database()) : List.of();
        if (!settings.isEmpty()) { // its grants come along (Databases.createFrom); ALTER DATABASE … SET ones do not
            console.warn("database " + target.database() + " on the target has settings the moved database will not have: "
                + String.join("; ", settings) + " (set them again with ALTER DATABASE … SET after the move)");
        }
        if (!dryRun) dropAbandonedMoves(targetDatabases, target.database(), console);
        DatabaseRuntime source = new ExternalRuntime(externalOptions(fromUrl));
        PostgresUrl loaded = target.withDatabase(loading);
        Thread dropOnInterrupt = dropOnInterrupt(targetDatabases, loading, target, from);
        createLoading(targetDatabases, loading, target.database(), replacing);
        Runtime.getRuntime().addShutdownHook(dropOnInterrupt); // Ctrl+C: the half-loaded copy goes, B's database never changed
        boolean renamed = false;
        try {
            rehearseSchema(source, from, loaded, toMajor);
            if (dryRun) return ExitCode.OK;
            BackupManifest made = loadAndCheck(source, from, target, loaded, toMajor);
            renameInto(targetDatabases, loading, target.database(), replacing);
            renamed = true;
            console.ok("Moved: " + target + " holds " + RowCounts.total(made.rowCounts()) + " rows; " + from + " is unchanged");
        } finally {
            if (!renamed) targetDatabases.dropQuietly(loading); // any failure: B as it was
            Cli.removeShutdownHook(dropOnInterrupt);
        }
        console.info("Use the new server: OXY_DATABASE_URL='" + target + "' (with its password)");
        return ExitCode.OK;
    }

    private Thread dropOnInterrupt(Databases targetDatabases, String loading, PostgresUrl target, PostgresUrl from) {
        return new Thread(() -> {
            targetDatabases.dropQuietly(loading);
            console.fail("move interrupted: the new database " + loading + " was dropped; " + target + " is as it was and " + from + " unchanged");
        }, "drop-unfinished-move");
    }

    /**
     * The downtime: A's sessions ended, the final backup restored into the new database on B, its row counts
     * checked (migrations only where ours or empty), and no write to A since. The final backup's manifest.
     */
    private BackupManifest loadAndCheck(DatabaseRuntime source, PostgresUrl from, PostgresUrl target, PostgresUrl loaded, int toMajor) throws Exception {
        AppSessions.checkNoneConnected(from, yes, console);
        AppSessions.end(from);
        long writes = AppSessions.writesSoFar(from);
        BackupManifest made;
        try {
            made = backUpAndRestore(source, from, loaded, toMajor);
        } catch (OxyError failed) { // the dump's or the load's own words, and what they left
            throw new OxyError(failed.exitCode(), failed.getMessage() + "; " + target + " is as it was and " + from + " unchanged",
                failed.hint() == null ? "Run the same command again once that is fixed." : failed.hint(), failed.details(), failed);
        }
        new PostLoadCheck(loaded, "moved", console).run(made.rowCounts(), "the final backup " + made.name(),
            from + " is unchanged and " + target + " as it was; move again.");
        long since = AppSessions.writesSoFar(from) - writes;
        if (since != 0) {
            throw new OxyError(ExitCode.REFUSED, "the app wrote to " + from + " during the move (" + Math.abs(since) + " row changes not in "
                + target + ")", "Stop the app and move again; " + target + " is as it was.");
        }
        return made;
    }

    /**
     * B runs the same or a newer major; its database is new or empty, and this user may create databases and
     * rename that one: nothing there is ever overwritten. Whether an empty one is there to replace.
     */
    static boolean checkTarget(PostgresUrl target, Databases targetDatabases, int fromMajor, int toMajor) throws Exception {
        if (toMajor < fromMajor) {
            throw new OxyError(ExitCode.REFUSED, "the target runs PostgreSQL " + toMajor + ", older than the source's " + fromMajor,
                "Move to a server of the same or a newer major.");
        }
        if (!targetDatabases.mayCreate()) {
            throw new OxyError(ExitCode.REFUSED, "user '" + target.user() + "' may not create databases on the target, and the move loads into a new one"
                + " (renamed at the end, so a failure leaves the target as it was)", "Use a role with CREATEDB in --to-url; nothing was changed.");
        }
        if (!targetDatabases.exists(target.database())) return false;
        try (Connection connection = target.connect()) {
            if (!RowCounts.tables(connection).isEmpty()) {
                throw new OxyError(ExitCode.REFUSED, "database " + target.database() + " on the target already has tables",
                    "Name a new or empty database in --to-url; nothing was changed.");
            }
        }
        if (!targetDatabases.mayOwn(target.database())) {
            throw new OxyError(ExitCode.REFUSED, "the empty database " + target.database() + " on the target belongs to "
                + targetDatabases.owner(target.database()) + ", and the move replaces it by renaming a new one",
                "Run the move as its owner, or name a new database in --to-url; nothing was changed.");
        }
        return true;
    }

    /** The new database a move loads into beside B's database: <db>_moving_<time>. */
    static String newDatabaseName(String database) { return prefix(database) + STAMP.format(Instant.now()); }

    /** <db>_moving_, B's database name cut so that <db>_moving_<time>_replaced fits in a PostgreSQL name. */
    private static String prefix(String database) {
        int room = LONGEST_NAME - MOVING.length() - "yyyyMMdd_HHmmss_replaced".length();
        String cut = database;
        while (cut.getBytes(StandardCharsets.UTF_8).length > room) cut = cut.substring(0, cut.length() - 1);
        return cut + MOVING;
    }

    /** Databases a killed move left on B (its half-loaded copy, or an empty one it had just replaced): never another name. */
    static void dropAbandonedMoves(Databases targetDatabases, String database, Console console) {
        String prefix = prefix(database);
        for (String abandoned : targetDatabases.withPrefix(prefix)) {
            if (!OURS.matcher(abandoned.substring(prefix.length())).matches()) continue;
            console.warn("dropping " + abandoned + " on the target, left by an interrupted move");
            targetDatabases.dropQuietly(abandoned);
        }
    }

    /** The new database: a copy of the empty one it will replace (its objects, encoding, locale, owner), or a plain new one. */
    static void createLoading(Databases targetDatabases, String loading, String database, boolean replacing) throws SQLException {
        try {
            if (replacing) targetDatabases.createFrom(loading, database, targetDatabases.owner(database));
            else targetDatabases.create(loading);
        } catch (SQLException e) {
            if (!"55006".equals(e.getSQLState())) throw failedOnTarget("create the new database " + loading, database, e);
            // object_in_use: someone is connected to the empty database
            throw new OxyError(ExitCode.REFUSED, "database " + database + " on the target has other sessions (" + e.getMessage().lines().findFirst().orElse("") + ")",
                "The app must not use the target before the move; end those sessions and move again. Nothing was changed.");
        }
    }

    /**
     * The moved database takes B's name. An empty one there is renamed away in the same transaction (there is
     * never a moment without one of that name) and dropped after; it must still have no tables.
     */
    static void renameInto(Databases targetDatabases, String loading, String database, boolean replacing) throws SQLException {
        if (!replacing) {
            try {
                targetDatabases.execute("ALTER DATABASE " + Databases.quote(loading) + " RENAME TO " + Databases.quote(database));
            } catch (SQLException e) {
                throw failedOnTarget("rename " + loading + " to " + database, database, e);
            }
            return;
        }
        String replaced = loading + "_replaced";
        try (Connection connection = targetDatabases.connect(); Statement statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            statement.execute("ALTER DATABASE " + Databases.quote(database) + " RENAME TO " + Databases.quote(replaced));
            statement.execute("ALTER DATABASE " + Databases.quote(loading) + " RENAME TO " + Databases.quote(database));
            connection.commit();
        } catch (SQLException e) {
            if (!"55006".equals(e.getSQLState())) throw failedOnTarget("rename " + loading + " to " + database, database, e);
            throw new OxyError(ExitCode.REFUSED, "database " + database + " on the target took sessions during the move, so it cannot be replaced",
                "The app must not use the target before the move ends; stop it and move again. " + database + " is as it was.");
        }
        targetDatabases.dropQuietly(replaced); // empty; if this fails, the next move drops it
    }
    /** The server's own words, one line, and that B is as it was (the new database goes in run's finally). */
    private static OxyError failedOnTarget(String what, String database, SQLException e) {
        return new OxyError(ExitCode.FAILED, "the target refused to " + what + ": " + e.getMessage().lines().findFirst().orElse(""),
            "Database " + database + " on the target is as it was; fix that, then move again.", e);
    }

    /** A's schema loaded into B and rolled back: whatever B rejects stops the move before anything is copied. */
    private void rehearseSchema(DatabaseRuntime source, PostgresUrl from, PostgresUrl target, int toMajor) {
        Map<String, Integer> leftOut = PreDataSection.ofDatabase(source, from, toMajor, console)
            .rehearse(target, "Nothing was changed on either server.");
        console.ok("Schema rehearsed on " + target);
        PreDataSection.reportLeftOut(console, leftOut);
    }

    /** The final backup of A, with the tools of B's major, restored into the new database on B; its manifest. */
    private BackupManifest backUpAndRestore(DatabaseRuntime source, PostgresUrl from, PostgresUrl target, int toMajor) throws Exception {
        BackupStore backups = BackupStore.create(backupDirectory);
        BackupManifest made;
        try (AutoCloseable lock = backups.lock("upgrade")) {
            made = new BackupMaker(source, from, backups, console).make(BackupMaker.Settings.standard(), false, toMajor);
        }
        console.ok("Final backup " + made.name() + " (" + Console.humanBytes(made.bytes()) + ")");
        BackupArchive archive = BackupArchive.resolve(made.name(), backups);
        console.step("Restoring " + made.name() + " into new database " + target.database() + " on the target");
        try (PostgresTools tools = PostgresTools.find(toMajor, source, List.of(backups.directory()), console)) {
            archive.restoreInto(tools, target, 2, false, false);
        }
        return made;
    }


    private RuntimeOptions externalOptions(String url) {
        RuntimeOptions options = runtime.copy(RuntimeOptions.Kind.EXTERNAL, runtime.postgresPort);
        options.url = url;
        return options;
    }
}
