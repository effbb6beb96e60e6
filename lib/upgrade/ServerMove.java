import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Map;

/**
 * upgrade --from-url A --to-url B: the database moved from one external server to another (a newer major, a
 * new managed instance). Dump from A with a pg_dump new enough for both, restore into B, verify, print B's
 * URL. A is never changed.
 */
public final class ServerMove {
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

    /** dryRun: the plan and the schema's rehearsal on B only. */
    public int run(boolean dryRun) throws Exception {
        PostgresUrl from = PostgresUrl.parse(fromUrl);
        PostgresUrl target = PostgresUrl.parse(toUrl);
        int fromMajor = BackupMaker.serverMajor(from);
        int toMajor = BackupMaker.serverMajor(target.withDatabase("postgres"));
        Databases targetDatabases = new Databases(target);
        checkTarget(target, targetDatabases, fromMajor, toMajor);
        console.info("Plan: " + from + " (PostgreSQL " + fromMajor + ", " + Console.humanBytes(SingleValue.databaseSize(from)) + ") -> " + target
            + " (PostgreSQL " + toMajor + "): rehearse the schema on the target, final backup with pg_dump " + toMajor
            + ", restore, row counts, migrations, ANALYZE");
        DatabaseRuntime source = new ExternalRuntime(externalOptions(fromUrl));
        boolean created = !targetDatabases.exists(target.database());
        if (created) targetDatabases.create(target.database());
        try {
            rehearseSchema(source, from, target, toMajor);
        } catch (RuntimeException e) {
            if (created) targetDatabases.dropQuietly(target.database());
            throw e;
        }
        if (dryRun) {
            if (created) targetDatabases.dropQuietly(target.database());
            return ExitCode.OK;
        }
        AppSessions.checkNoneConnected(from, yes, console);
        AppSessions.end(from);
        long writes = AppSessions.writesSoFar(from);
        BackupManifest made = backUpAndRestore(source, from, target, toMajor);
        new PostLoadCheck(target, console).run(made.rowCounts(), "the final backup " + made.name(),
            from + " is unchanged; drop the database on the target and move again.");
        long since = AppSessions.writesSoFar(from) - writes;
        if (since != 0) {
            throw new OxyError(ExitCode.REFUSED, "the app wrote to " + from + " during the move (" + Math.abs(since) + " row changes not in "
                + target + ")", "Stop the app, drop the database on the target, and move again.");
        }
        console.ok("Moved: " + target + " holds " + RowCounts.total(made.rowCounts()) + " rows; " + from + " is unchanged");
        console.info("Use the new server: OXY_DATABASE_URL='" + target + "' (with its password)");
        return ExitCode.OK;
    }

    /** B runs the same or a newer major, and its database is new or empty: nothing there is ever overwritten. */
    private static void checkTarget(PostgresUrl target, Databases targetDatabases, int fromMajor, int toMajor) throws Exception {
        if (toMajor < fromMajor) {
            throw new OxyError(ExitCode.REFUSED, "the target runs PostgreSQL " + toMajor + ", older than the source's " + fromMajor,
                "Move to a server of the same or a newer major.");
        }
        if (!targetDatabases.exists(target.database())) return;
        try (Connection connection = target.connect()) {
            if (!RowCounts.tables(connection).isEmpty()) {
                throw new OxyError(ExitCode.REFUSED, "database " + target.database() + " on the target already has tables",
                    "Name a new or empty database in --to-url; nothing was changed.");
            }
        }
    }

    /** A's schema loaded into B and rolled back: whatever B rejects stops the move before anything is copied. */
    private void rehearseSchema(DatabaseRuntime source, PostgresUrl from, PostgresUrl target, int toMajor) {
        Map<String, Integer> leftOut = PreDataSection.ofDatabase(source, from, toMajor, console)
            .rehearse(target, "Nothing was changed on either server.");
        console.ok("Schema rehearsed on " + target);
        PreDataSection.reportLeftOut(console, leftOut);
    }

    /** The final backup of A, with the tools of B's major, restored into B; its manifest. */
    private BackupManifest backUpAndRestore(DatabaseRuntime source, PostgresUrl from, PostgresUrl target, int toMajor) throws Exception {
        BackupStore backups = BackupStore.create(backupDirectory);
        BackupManifest made;
        try (AutoCloseable lock = backups.lock("upgrade")) {
            made = new BackupMaker(source, from, backups, console).make(BackupMaker.Settings.standard(), false, toMajor);
        }
        BackupArchive archive = BackupArchive.resolve(made.name(), backups);
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
