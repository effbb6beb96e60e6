///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/**/*.java

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * upgrade: move the database to a newer PostgreSQL major by a final backup restored into new storage (a new
 * docker volume, or a new embedded data directory), keeping the old storage untouched until --finalize.
 * Every step is recorded in a state file, so a rerun resumes and --rollback always has a way back.
 */
@Command(name = "upgrade", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
    description = {"Upgrade PostgreSQL to a newer major: final backup, restore into a new volume (docker) or data directory "
        + "(embedded), verify, swap. The old one is kept until --finalize, so --rollback can always go back.",
        "External servers: --from-url A --to-url B moves the database from A to B and leaves A as it was."},
    footer = {"", "Examples:", "  ./jbang oxy upgrade --to 18 --dry-run", "  ./jbang oxy upgrade --to 18",
        "  ./jbang oxy upgrade --to pgvector/pgvector:pg18", "  ./jbang oxy upgrade --rollback", "  ./jbang oxy upgrade --finalize",
        "  ./jbang oxy upgrade --from-url postgresql://app@old-db:5432/oxy --to-url postgresql://app@new-db:5432/oxy"})
public class upgrade implements Callable<Integer> {

    @Mixin RuntimeOptions runtime;
    @Mixin BackupDirectoryOption store;

    @Option(names = "--to", paramLabel = "MAJOR|IMAGE", description = "Target major (18) or, in the docker runtime, an image (pgvector/pgvector:pg18).")
    String to;

    @Option(names = "--from-url", paramLabel = "URL", description = "External: the server to move the database from (left as it was).")
    String fromUrl;

    @Option(names = "--to-url", paramLabel = "URL", description = "External: the server to move it to; its database must be new or empty. "
        + "Passwords of both come from the URLs, PGPASSWORD or ~/.pgpass.")
    String toUrl;

    @Option(names = "--from-binaries", paramLabel = "DIR", description = "Embedded: the old major's server binaries (bin/ with postgres and "
        + "pg_ctl); found in the usual install places otherwise.")
    Path fromBinaries;

    @Option(names = "--dry-run", description = "Print the plan and the pre-checks; change nothing.")
    boolean dryRun;

    @Option(names = "--rollback", description = "Bring back the old server and its data exactly as they were.")
    boolean rollback;

    @Option(names = "--finalize", description = "Remove the old container and volume, or data directory (asks first, or --yes).")
    boolean finalize;

    @Option(names = {"-y", "--yes"}, description = "Do not ask; end the app's sessions when it is still connected.")
    boolean yes;

    private Console console;

    public static void main(String... args) {
        Cli.run(new upgrade(), args);
    }

    @Override
    public Integer call() throws Exception {
        console = Console.standard();
        if (to != null && !to.matches("\\d{1,2}") && !to.matches(RuntimeOptions.IMAGE_REFERENCE)) {
            throw new OxyError(ExitCode.USAGE, "--to '" + to + "' is neither a major (18) nor an image (pgvector/pgvector:pg18)", "Nothing was changed.");
        }
        if (fromUrl != null || toUrl != null) return moveBetweenServers();
        Installation installation = installation(Runtimes.select(runtime));
        Path stateFile = installation.stateFile();
        Optional<UpgradeState> pending = UpgradeState.read(stateFile);
        if (rollback) return rollBack(installation, pending.orElseThrow(() -> new OxyError(ExitCode.USAGE, "no upgrade to roll back", null)));
        if (finalize) return finalizeUpgrade(installation, pending.orElseThrow(() -> new OxyError(ExitCode.USAGE, "no upgrade to finalize", null)));
        if (to == null) throw new OxyError(ExitCode.USAGE, "say which major to upgrade to: --to 18 (or --to postgres:18-alpine)", null);
        if (pending.isPresent() && pending.get().swapped()) {
            throw new OxyError(ExitCode.REFUSED, "an upgrade to PostgreSQL " + pending.get().toMajor() + " is done but not finalized",
                "Check the app, then './jbang oxy upgrade --finalize' (removes the old data) or '--rollback'.");
        }
        if (pending.isPresent()) console.info("Resuming the upgrade to " + pending.get().toImage() + " (done: " + pending.get().done() + ")");
        UpgradeState state = pending.orElseGet(() -> plan(installation));
        if (dryRun) return rehearseOnly(installation, state);
        return run(installation, state);
    }

    private Installation installation(DatabaseRuntime database) {
        if (database instanceof DockerRuntime docker) return new DockerInstallation(docker);
        if (database instanceof EmbeddedRuntime embedded) return new EmbeddedInstallation(embedded);
        throw new OxyError(ExitCode.USAGE, "an external server is upgraded by moving its database to a newer one",
            "Use --from-url OLD --to-url NEW (e.g. a new managed instance); nothing was changed.");
    }

    // --- plan and pre-checks ---

    private UpgradeState plan(Installation installation) {
        PostgresUrl url = installation.startOldServer();
        String serverVersion = BackupMaker.serverVersion(url);
        int fromMajor = DatabaseRuntime.majorOf(serverVersion);
        // a major that is not newer is refused before an image is pulled for it
        Target target = to.matches("\\d+") && Integer.parseInt(to) <= fromMajor ? new Target(to, Integer.parseInt(to)) : installation.target(to);
        if (target.major() <= fromMajor) {
            throw new OxyError(ExitCode.REFUSED, "PostgreSQL " + serverVersion + " is already at or past " + target.major(), "Nothing to do.");
        }
        UpgradeState state = installation.newState(fromMajor, target);
        long size = databaseSize(url);
        long free = installation.freeBytes();
        console.info("Plan: PostgreSQL " + serverVersion + " (data: PG_VERSION " + installation.dataMajor() + ", " + state.fromImage()
            + ", " + state.from() + ") -> " + target.image() + " (PostgreSQL " + target.major() + ")");
        console.info("  database " + url.database() + ": " + Console.humanBytes(size) + "; free disk: "
            + (free < 0 ? "unknown" : Console.humanBytes(free)) + ", needed about " + Console.humanBytes(size * 2) + " (a backup and the new data)");
        List<String> steps = installation.describeSteps(state);
        console.info("  1. " + steps.get(0) + "; rehearse the schema there (what it rejects stops the upgrade here)");
        console.info("  2. downtime begins: end the app's sessions, final verified backup with pg_dump " + installation.dumpMajor(state)
            + ", stop the old server (nothing written after the backup can be lost)");
        console.info("  3. restore, compare exact row counts, apply migrations/, ANALYZE");
        console.info("  4. " + steps.get(1));
        console.info("  estimated downtime (writers stopped to new server ready): about " + Math.max(5, size / (40L << 20)) + " s at 40 MB/s");
        if (free >= 0 && free < size * 2) {
            throw new OxyError(ExitCode.REFUSED, "not enough free disk: " + Console.humanBytes(free) + " free, about "
                + Console.humanBytes(size * 2) + " needed (a backup and the new data)", "Free space, then run again; nothing was changed.");
        }
        checkExtensionsAvailable(url, installation.availableExtensions(target), target.image());
        installation.warnOfCollationChange(url, target);
        checkNoAppConnected(url);
        return state;
    }

    private static long databaseSize(PostgresUrl url) {
        return queryLong(url, "SELECT pg_database_size(current_database())");
    }

    /** Every installed extension must exist in the target, or the restore would fail halfway. */
    private void checkExtensionsAvailable(PostgresUrl url, java.util.function.Supplier<List<String>> available, String target) {
        List<String> installed = new ArrayList<>();
        try (Connection connection = url.connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1")) {
            while (rows.next()) installed.add(rows.getString(1));
        } catch (SQLException e) {
            throw url.unavailable(e);
        }
        if (installed.isEmpty()) return;
        List<String> there = available.get();
        List<String> missing = installed.stream().filter(e -> !there.contains(e)).toList();
        if (!missing.isEmpty()) {
            throw new OxyError(ExitCode.REFUSED, target + " lacks the extension(s) " + String.join(", ", missing) + " this database uses",
                "Use a target that has them (for pgvector: --to pgvector/pgvector:pg" + DatabaseRuntime.majorOf(target.replaceAll("^\\D*", ""))
                    + " in the docker runtime); nothing was changed.");
        }
    }

    /** The app's sessions: every client session on the database but this one. */
    private static final String APP_SESSIONS = "FROM pg_stat_activity WHERE datname = current_database() "
        + "AND pid <> pg_backend_pid() AND backend_type = 'client backend'";

    private void checkNoAppConnected(PostgresUrl url) {
        long connected = queryLong(url, "SELECT count(*) " + APP_SESSIONS);
        if (connected == 0) return;
        if (!yes) {
            throw new OxyError(ExitCode.REFUSED, connected + " session(s) of the app are connected to " + url.database(),
                "Stop the app first, or pass --yes to end its sessions when the upgrade starts; nothing was changed.");
        }
        console.warn(connected + " app session(s) connected: they are ended when the final backup starts (--yes)");
    }

    // --- the steps ---

    private Integer run(Installation installation, UpgradeState planned) throws Exception {
        UpgradeState state = planned;
        state.write(installation.stateFile());
        BackupStore backups = BackupStore.create(store.directory(runtime));
        DatabaseRuntime staging = installation.staging(state);
        boolean restoredEarlier = state.did(UpgradeState.RESTORED); // by a run that was interrupted
        // the new server's initdb and start, and the schema's rehearsal on it, need no downtime
        if (!restoredEarlier) staging.start(console, Duration.ofSeconds(120));
        Map<String, Integer> saidAtRehearsal = state.did(UpgradeState.BACKED_UP) ? Map.of() : rehearseSchema(installation, state, staging);
        Instant writersStopped = Instant.now();
        if (!state.did(UpgradeState.BACKED_UP)) {
            PostgresUrl url = installation.startOldServer();
            endAppSessions(url);
            long writes = writesSoFar(url);
            try (AutoCloseable lock = backups.lock("upgrade")) {
                BackupManifest made = new BackupMaker(installation.oldRuntime(), url, backups, console)
                    .make(BackupMaker.Settings.standard(), false, installation.dumpMajor(state));
                console.ok("Final backup " + made.name() + " (" + Console.humanBytes(made.bytes()) + ")");
                state = state.withBackup(made.name(), writes).with(UpgradeState.BACKED_UP);
                state.write(installation.stateFile());
            }
        }
        stopOldServer(installation, state);
        if (!state.did(UpgradeState.RESTORED)) {
            BackupArchive archive = BackupArchive.resolve(state.backup(), backups);
            try (PostgresTools tools = PostgresTools.find(installation.dumpMajor(state), staging, List.of(backups.directory()), console)) {
                emptyDatabase(staging);
                Map<String, Integer> leftOut = new java.util.LinkedHashMap<>(archive.restoreInto(tools, staging.url(), 2, false, false));
                leftOut.keySet().removeAll(saidAtRehearsal.keySet()); // said once is enough
                PreDataSection.reportLeftOut(console, leftOut);
            }
            state = state.with(UpgradeState.RESTORED);
            state.write(installation.stateFile());
        }
        if (!state.did(UpgradeState.VERIFIED)) {
            if (restoredEarlier) staging.start(console, Duration.ofSeconds(120));
            verifyRestored(staging.url(), BackupArchive.resolve(state.backup(), backups).manifest().orElseThrow());
            state = state.with(UpgradeState.VERIFIED);
            state.write(installation.stateFile());
        }
        installation.swap(state);
        state = state.with(UpgradeState.SWAPPED);
        state.write(installation.stateFile());
        console.ok("Upgraded to " + state.toImage() + "; downtime " + String.format(java.util.Locale.ROOT, "%.1f", Duration.between(writersStopped, Instant.now()).toMillis() / 1000.0)
            + " s (writers stopped to new server ready). The old data is kept in " + state.kept());
        console.info("Check the app, then: ./jbang oxy upgrade --finalize   (or --rollback to go back)");
        return ExitCode.OK;
    }

    /**
     * The old database's schema, dumped as the final backup will be, loaded into the new server and rolled
     * back: whatever the target rejects ends the upgrade here, with the old server running and the new one
     * removed, before the downtime begins.
     */
    private Map<String, Integer> rehearseSchema(Installation installation, UpgradeState state, DatabaseRuntime staging) {
        PostgresUrl old = installation.startOldServer();
        PreDataSection schema = PreDataSection.ofDatabase(installation.oldRuntime(), old, installation.dumpMajor(state), console);
        Map<String, Integer> leftOut;
        try {
            emptyDatabase(staging);
            leftOut = schema.rehearse(staging.url(), "Nothing was changed: the old server still runs and the new one was removed.");
        } catch (OxyError refused) {
            installation.removeStaging(state);
            try {
                Files.deleteIfExists(installation.stateFile());
            } catch (IOException e) {
                throw new OxyError(ExitCode.FAILED, "cannot remove " + installation.stateFile() + ": " + e.getMessage(), null, e);
            }
            throw refused;
        }
        console.ok("Schema rehearsed on " + state.toImage() + ": " + schema.size() + " statements accepted");
        PreDataSection.reportLeftOut(console, leftOut);
        return leftOut;
    }

    /** --dry-run: the plan, then the rehearsal on a new server that is removed again, so every refusal shows. */
    private Integer rehearseOnly(Installation installation, UpgradeState state) {
        DatabaseRuntime staging = installation.staging(state);
        try {
            staging.start(console, Duration.ofSeconds(120));
            rehearseSchema(installation, state, staging);
        } finally {
            installation.removeStaging(state);
        }
        console.ok("[DRY RUN] The upgrade would go ahead; nothing was changed (the rehearsal's server was removed)");
        return ExitCode.OK;
    }

    /** The new server's database, empty: the new server is ours alone, and a rerun starts over. */
    private void emptyDatabase(DatabaseRuntime staging) {
        Databases databases = new Databases(staging.url());
        try {
            databases.drop(runtime.database);
            databases.create(runtime.database);
        } catch (SQLException e) {
            throw staging.url().unavailable(e);
        }
    }

    /**
     * Ends the app's sessions and waits until those are gone: a session's row counters reach the statistics
     * only when it ends, and writesSoFar must see them.
     */
    private void endAppSessions(PostgresUrl url) throws InterruptedException {
        // MATERIALIZED: the sessions are chosen first, so this one is never among those terminated
        String ended = queryText(url, "WITH app AS MATERIALIZED (SELECT pid " + APP_SESSIONS + ") "
            + "SELECT coalesce(string_agg(pid::text, ','), '') FROM app WHERE pg_terminate_backend(pid)");
        if (ended.isEmpty()) return;
        // waited for here, not by pg_terminate_backend's timeout: that needs PostgreSQL 14, and an upgrade's source may be older
        for (int wait = 0; wait < 100 && queryLong(url, "SELECT count(*) FROM pg_stat_activity WHERE pid IN (" + ended + ")") > 0; wait++) {
            Thread.sleep(100);
        }
    }

    /** Rows inserted, updated and deleted in the app's tables since the statistics began: a moving number means writes. */
    private static long writesSoFar(PostgresUrl url) {
        return queryLong(url, "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables");
    }

    /**
     * From here the old server stays stopped, so nothing written to it can be lost at the swap. It must not
     * have taken writes since the final backup; if it did (an app that reconnected), the backup is stale.
     */
    private void stopOldServer(Installation installation, UpgradeState state) throws Exception {
        Optional<PostgresUrl> running = installation.runningOldServer(state);
        if (running.isEmpty()) return;
        endAppSessions(running.get());
        long writes = writesSoFar(running.get()) - state.writesAtBackup();
        if (writes != 0) {
            state.withoutBackup().write(installation.stateFile());
            throw new OxyError(ExitCode.REFUSED, "the app wrote to the old server after the final backup (" + Math.abs(writes)
                + " row changes); switching now would lose them", "Stop the app (or let --yes end its sessions), then run the upgrade "
                + "again: it takes a new final backup. The old server still runs and has everything.");
        }
        installation.stopOldServer(state);
    }

    private void verifyRestored(PostgresUrl url, BackupManifest manifest) throws SQLException {
        try (Connection connection = url.connect()) {
            List<String> differences = RowCounts.differences(manifest.rowCounts(), RowCounts.exact(connection));
            if (!differences.isEmpty()) {
                throw new OxyError(ExitCode.VERIFICATION_FAILED, "row counts differ after the restore: " + differences.get(0),
                    "The old data is untouched; './jbang oxy upgrade --rollback' brings the old server back.", differences, null);
            }
            new SchemaMigrations(url).migrate();
            try (Statement statement = connection.createStatement()) {
                statement.execute("SET default_statistics_target = 10"); // planner statistics in seconds, not minutes; autovacuum refines them
                statement.execute("ANALYZE");
            }
        }
        console.ok("Row counts match (" + RowCounts.total(manifest.rowCounts()) + " rows); migrations applied; analyzed");
    }

    /** Back to the old server and data, from whatever step the upgrade reached. */
    private Integer rollBack(Installation installation, UpgradeState state) throws Exception {
        if (state.swapped()) console.warn("Going back to PostgreSQL " + state.fromMajor() + ": anything written since the upgrade is discarded");
        boolean oldServerStopped = installation.runningOldServer(state).isEmpty(); // by the upgrade: it took nothing since the backup
        installation.rollBack(state);
        verifyOldServer(installation.oldRuntime().url(), state, oldServerStopped);
        Files.deleteIfExists(installation.stateFile());
        console.ok("Rolled back: PostgreSQL " + state.fromMajor() + " (" + state.fromImage() + ") runs on " + state.from() + " as before");
        return ExitCode.OK;
    }

    /**
     * "As before" is said only after looking: the old server runs the old major and, when the upgrade had
     * stopped it after the final backup, holds exactly that backup's rows.
     */
    private void verifyOldServer(PostgresUrl url, UpgradeState state, boolean stoppedAfterBackup) throws SQLException {
        String restoreFrom = state.backup() == null ? "" : " The final backup " + state.backup() + " holds the data: './jbang oxy restore "
            + state.backup() + "' once a server runs.";
        int major = DatabaseRuntime.majorOf(BackupMaker.serverVersion(url));
        if (major != state.fromMajor()) {
            throw new OxyError(ExitCode.DATA_NEEDS_ATTENTION, "after the rollback the server runs PostgreSQL " + major + ", not the old " + state.fromMajor(),
                "The old data is not where the upgrade left it." + restoreFrom);
        }
        if (state.backup() == null || !stoppedAfterBackup) return;
        Optional<BackupManifest> manifest = BackupStore.at(store.directory(runtime)).find(state.backup()).map(BackupStore.Entry::manifest);
        if (manifest.isEmpty()) return;
        try (Connection connection = url.connect()) {
            RowCounts.requireMatching(manifest.get().rowCounts(), RowCounts.exact(connection), "the final backup " + state.backup(),
                "The old server's data is not what it was at the final backup." + restoreFrom);
        }
    }

    private Integer finalizeUpgrade(Installation installation, UpgradeState state) throws Exception {
        if (!state.swapped()) throw new OxyError(ExitCode.REFUSED, "the upgrade has not swapped yet; nothing to finalize", "Run it again to resume, or --rollback.");
        if (!yes) {
            Console.requireTyped(state.from(), "This deletes the old data (" + state.kept() + ") for good. Type " + state.from() + " to confirm: ",
                new OxyError(ExitCode.REFUSED, "finalize deletes " + state.kept() + "; no terminal to confirm", "Pass --yes."),
                "not confirmed; nothing was removed");
        }
        installation.removeOld(state);
        Files.deleteIfExists(installation.stateFile());
        console.ok("Finalized: removed the old PostgreSQL " + state.fromMajor() + " data (" + state.kept() + ")");
        return ExitCode.OK;
    }

    // --- external: from one server to another ---

    /** Dump from A with a pg_dump new enough for both, restore into B, verify, print B's URL. A is never changed. */
    private Integer moveBetweenServers() throws Exception {
        if (fromUrl == null || toUrl == null) throw new OxyError(ExitCode.USAGE, "--from-url and --to-url go together", null);
        PostgresUrl from = PostgresUrl.parse(fromUrl);
        PostgresUrl target = PostgresUrl.parse(toUrl);
        int fromMajor = BackupMaker.serverMajor(from);
        int toMajor = BackupMaker.serverMajor(target.withDatabase("postgres"));
        if (toMajor < fromMajor) {
            throw new OxyError(ExitCode.REFUSED, "the target runs PostgreSQL " + toMajor + ", older than the source's " + fromMajor,
                "Move to a server of the same or a newer major.");
        }
        Databases targetDatabases = new Databases(target);
        if (targetDatabases.exists(target.database())) {
            try (Connection connection = target.connect()) {
                if (!RowCounts.tables(connection).isEmpty()) {
                    throw new OxyError(ExitCode.REFUSED, "database " + target.database() + " on the target already has tables",
                        "Name a new or empty database in --to-url; nothing was changed.");
                }
            }
        }
        console.info("Plan: " + from + " (PostgreSQL " + fromMajor + ", " + Console.humanBytes(databaseSize(from)) + ") -> " + target
            + " (PostgreSQL " + toMajor + "): rehearse the schema on the target, final backup with pg_dump " + toMajor
            + ", restore, row counts, migrations, ANALYZE");
        DatabaseRuntime source = new ExternalRuntime(externalOptions(fromUrl));
        boolean created = !targetDatabases.exists(target.database());
        if (created) targetDatabases.create(target.database());
        try {
            Map<String, Integer> leftOut = PreDataSection.ofDatabase(source, from, toMajor, console)
                .rehearse(target, "Nothing was changed on either server.");
            console.ok("Schema rehearsed on " + target);
            PreDataSection.reportLeftOut(console, leftOut);
        } catch (RuntimeException e) {
            if (created) targetDatabases.dropQuietly(target.database());
            throw e;
        }
        if (dryRun) {
            if (created) targetDatabases.dropQuietly(target.database());
            return ExitCode.OK;
        }
        checkNoAppConnected(from);
        endAppSessions(from);
        long writes = writesSoFar(from);
        BackupStore backups = BackupStore.create(store.directory(runtime));
        BackupManifest made;
        try (AutoCloseable lock = backups.lock("upgrade")) {
            made = new BackupMaker(source, from, backups, console).make(BackupMaker.Settings.standard(), false, toMajor);
        }
        BackupArchive archive = BackupArchive.resolve(made.name(), backups);
        try (PostgresTools tools = PostgresTools.find(toMajor, source, List.of(backups.directory()), console)) {
            archive.restoreInto(tools, target, 2, false, false);
        }
        verifyRestored(target, made);
        long since = writesSoFar(from) - writes;
        if (since != 0) {
            throw new OxyError(ExitCode.REFUSED, "the app wrote to " + from + " during the move (" + Math.abs(since) + " row changes not in "
                + target + ")", "Stop the app, drop the database on the target, and move again.");
        }
        console.ok("Moved: " + target + " holds " + RowCounts.total(made.rowCounts()) + " rows; " + from + " is unchanged");
        console.info("Use the new server: OXY_DATABASE_URL='" + target + "' (with its password)");
        return ExitCode.OK;
    }

    private RuntimeOptions externalOptions(String url) {
        RuntimeOptions options = runtime.copy(RuntimeOptions.Kind.EXTERNAL, runtime.postgresPort);
        options.url = url;
        return options;
    }

    private static long queryLong(PostgresUrl url, String sql) {
        return Long.parseLong(queryText(url, sql));
    }

    /** The first column of the first row, as text. */
    private static String queryText(PostgresUrl url, String sql) {
        try (Connection connection = url.connect(); Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery(sql)) {
            result.next();
            return result.getString(1);
        } catch (SQLException e) {
            throw url.unavailable(e);
        }
    }

    // --- where the old and the new server live ---

    /** The target: an image (docker) or binaries (embedded) and the PostgreSQL major it runs. */
    record Target(String image, int major) {}

    /** What differs between the docker and the embedded runtime; upgrade's steps above are the same for both. */
    interface Installation {
        Path stateFile();

        /** The target --to names, checked to exist. */
        Target target(String to);

        /** The old server, started when it is not running; its URL. */
        PostgresUrl startOldServer();

        /** The old server's URL when it runs, else empty. */
        Optional<PostgresUrl> runningOldServer(UpgradeState state);

        void stopOldServer(UpgradeState state);

        DatabaseRuntime oldRuntime();

        int dataMajor();

        /** Free bytes where the backup and the new data go; -1 when unknown. */
        long freeBytes();

        UpgradeState newState(int fromMajor, Target target);

        /** The plan's lines for the new storage and for the swap. */
        List<String> describeSteps(UpgradeState state);

        /** The extensions the target can install (asked only when the database uses some). */
        java.util.function.Supplier<List<String>> availableExtensions(Target target);

        void warnOfCollationChange(PostgresUrl url, Target target);

        /** The pg_dump/pg_restore major for the final backup and its restore. */
        int dumpMajor(UpgradeState state);

        /** The new server before the swap, on a free port; started by the steps. */
        DatabaseRuntime staging(UpgradeState state);

        /** Old server stopped and kept, the new one under the usual name and port. Each part checks what is done already. */
        void swap(UpgradeState state);

        /** The new server and its storage, gone; the old one is not touched. */
        void removeStaging(UpgradeState state);

        void rollBack(UpgradeState state) throws IOException;

        void removeOld(UpgradeState state) throws IOException;
    }

    /** Docker: a new volume <volume>-<major>, a staging container, then the container swapped; the old one kept as <container>-pg<old>. */
    final class DockerInstallation implements Installation {
        private final DockerRuntime docker;
        private final DockerClient client;
        private DockerRuntime.VolumeFacts volumeFacts; // one probe container for the plan, not two

        DockerInstallation(DockerRuntime docker) {
            this.docker = docker;
            this.client = docker.engine().client();
        }

        @Override public Path stateFile() { return UpgradeState.file(runtime, true); }

        @Override
        public Target target(String to) {
            String image = to.matches("\\d+") ? "postgres:" + to + "-alpine" : to;
            docker.engine().ensureImage(image, console);
            // the image says its major (PG_MAJOR), whatever its tag looks like (pgvector/pgvector:pg18)
            return new Target(image, dockerRuntime(runtime.container, runtime.volume, image, runtime.postgresPort).imageLayout().major());
        }

        private InspectContainerResponse oldContainer() {
            return docker.container().orElseThrow(() -> new OxyError(ExitCode.DATABASE_UNAVAILABLE,
                "container " + runtime.container + " does not exist", "Nothing to upgrade; './jbang oxy start' creates it."));
        }

        @Override
        public PostgresUrl startOldServer() {
            if (!Boolean.TRUE.equals(oldContainer().getState().getRunning())) {
                client.startContainerCmd(runtime.container).exec();
                Readiness.waitUntilReady(docker.url(), Duration.ofSeconds(120), () -> {});
            }
            return docker.url();
        }

        @Override
        public Optional<PostgresUrl> runningOldServer(UpgradeState state) {
            if (exists(state.kept())) return Optional.empty(); // renamed: stopped by the swap
            return docker.container().filter(c -> Boolean.TRUE.equals(c.getState().getRunning())).map(c -> docker.url());
        }

        @Override public void stopOldServer(UpgradeState state) { docker.stop(console); }

        @Override public DatabaseRuntime oldRuntime() { return docker; }

        @Override public int dataMajor() { return volumeFacts().dataMajor(); }

        @Override public long freeBytes() { return volumeFacts().freeBytes(); }

        private DockerRuntime.VolumeFacts volumeFacts() {
            if (volumeFacts == null) volumeFacts = docker.volumeFacts();
            return volumeFacts;
        }

        @Override
        public UpgradeState newState(int fromMajor, Target target) {
            InspectContainerResponse current = oldContainer();
            String fromVolume = current.getMounts().stream().filter(m -> m.getName() != null).findFirst()
                .map(InspectContainerResponse.Mount::getName).orElse(runtime.volume);
            return new UpgradeState("docker", runtime.container, current.getConfig().getImage(), fromVolume, fromMajor, target.image(),
                fromVolume + "-" + target.major(), target.major(), runtime.container + "-upgrade-" + target.major(),
                runtime.container + "-pg" + fromMajor, null, 0, List.of());
        }

        @Override
        public List<String> describeSteps(UpgradeState state) {
            return List.of("new volume " + state.to() + " and a staging container " + state.staging() + " on a free port (the old volume is never touched)",
                "swap: keep the old container as " + state.kept() + ", start " + state.name() + " from " + state.toImage()
                    + " on volume " + state.to() + " and port " + docker.url().port());
        }

        @Override
        public java.util.function.Supplier<List<String>> availableExtensions(Target target) {
            return () -> docker.runInImage(target.image(), "ls \"$(pg_config --sharedir)/extension\" | sed -n 's/\\.control$//p'");
        }

        /** Alpine images sort text with musl, Debian ones with glibc: the same ORDER BY can come out differently. */
        @Override
        public void warnOfCollationChange(PostgresUrl url, Target target) {
            String collation = queryText(url, "SELECT datcollate FROM pg_database WHERE datname = current_database()");
            if (collation.equals("C") || collation.equals("POSIX")) return;
            String fromLibc = libcOf(oldContainer().getConfig().getImage());
            String toLibc = libcOf(target.image());
            if (!fromLibc.equals(toLibc)) {
                console.warn("The C library changes (" + fromLibc + " -> " + toLibc + "), and with it how collation " + collation
                    + " sorts text: ORDER BY results may differ. The restore builds every index anew, so no index is left out of order.");
            }
        }

        private String libcOf(String image) {
            return docker.runInImage(image, "ls /lib/ld-musl-* 2>/dev/null").isEmpty() ? "glibc" : "musl";
        }

        @Override public int dumpMajor(UpgradeState state) { return state.toMajor(); }

        @Override
        public DatabaseRuntime staging(UpgradeState state) {
            int port = HostPorts.nextFree(runtime.postgresPort + 1)
                .orElseThrow(() -> new OxyError(ExitCode.PORT_IN_USE, "no free port for the staging server", null));
            return dockerRuntime(state.staging(), state.to(), state.toImage(), port);
        }

        @Override
        public void swap(UpgradeState state) {
            if (exists(state.staging())) {
                dockerRuntime(state.staging(), state.to(), state.toImage(), 0).stop(console);
                client.removeContainerCmd(state.staging()).withRemoveVolumes(true).exec();
            }
            if (!exists(state.kept())) {
                docker.stop(console);
                client.renameContainerCmd(state.name()).withName(state.kept()).exec();
            }
            int port = DockerRuntime.publishedPort(client.inspectContainerCmd(state.kept()).exec()).orElse(runtime.postgresPort);
            dockerRuntime(state.name(), state.to(), state.toImage(), port).start(console, Duration.ofSeconds(120));
        }

        @Override
        public void removeStaging(UpgradeState state) {
            removeIfExists(state.staging());
            removeVolumeIfExists(state.to());
        }

        @Override
        public void rollBack(UpgradeState state) {
            // never creates storage: the old container and its volume must still be there
            boolean oldContainerThere = exists(state.kept()) || !state.swapped() && exists(state.name()); // after the swap, name is the new one
            if (!oldContainerThere || !volumeExists(state.from())) {
                throw new OxyError(ExitCode.DATA_NEEDS_ATTENTION, "cannot roll back: the old container " + state.name() + " (or " + state.kept()
                    + ") and its volume " + state.from() + " are " + (volumeExists(state.from()) ? "not both there" : "gone"),
                    "Nothing was started. " + (state.backup() == null ? "The new data is in volume " + state.to() + "."
                        : "The final backup " + state.backup() + " holds the data: start a server and './jbang oxy restore " + state.backup() + "'."));
            }
            removeIfExists(state.staging());
            if (exists(state.kept())) {
                // the new server took the name: it goes, the old one gets its name back
                removeIfExists(state.name());
                client.renameContainerCmd(state.kept()).withName(state.name()).exec();
            }
            docker.start(console, Duration.ofSeconds(120));
            removeVolumeIfExists(state.to());
        }

        @Override
        public void removeOld(UpgradeState state) {
            if (exists(state.kept())) client.removeContainerCmd(state.kept()).withForce(true).withRemoveVolumes(true).exec(); // anonymous ones only
            client.removeVolumeCmd(state.from()).exec();
        }

        private boolean exists(String container) { return docker.engine().containerExists(container); }

        private boolean volumeExists(String volume) { return docker.engine().volumeExists(volume); }

        private void removeIfExists(String container) { docker.engine().removeContainerIfExists(container); }

        private void removeVolumeIfExists(String volume) { docker.engine().removeVolumeIfExists(volume); }

        private DockerRuntime dockerRuntime(String container, String volume, String image, int port) {
            RuntimeOptions copy = runtime.copy(RuntimeOptions.Kind.DOCKER, port);
            copy.container = container;
            copy.volume = volume;
            copy.image = image;
            return new DockerRuntime(copy, docker.engine());
        }
    }

    /**
     * Embedded: the old data directory is read by the old major's own server binaries (from this host: the
     * embedded runtime ships PostgreSQL 18 only), restored into <dir>-18, then the directories swap names;
     * the old one is kept as <dir>-pg<old>.
     */
    final class EmbeddedInstallation implements Installation {
        private final EmbeddedRuntime embedded;
        private final Path dataDir;

        EmbeddedInstallation(EmbeddedRuntime embedded) {
            this.embedded = embedded;
            this.dataDir = embedded.dataDir();
        }

        @Override public Path stateFile() { return UpgradeState.file(runtime, false); }

        @Override
        public Target target(String to) {
            if (!to.equals(String.valueOf(EmbeddedRuntime.MAJOR))) {
                throw new OxyError(ExitCode.USAGE, "the embedded runtime upgrades to PostgreSQL " + EmbeddedRuntime.MAJOR + " (the binaries it ships)",
                    "Use --to " + EmbeddedRuntime.MAJOR + ".");
            }
            return new Target("embedded PostgreSQL " + EmbeddedRuntime.MAJOR, EmbeddedRuntime.MAJOR);
        }

        @Override
        public int dataMajor() {
            try {
                return DatabaseRuntime.majorOf(Files.readString(dataDir.resolve("PG_VERSION")));
            } catch (IOException e) {
                throw new OxyError(ExitCode.DATABASE_UNAVAILABLE, "no embedded PostgreSQL data in " + dataDir,
                    "Nothing to upgrade; check --state-dir (or OXY_STATE_DIR).");
            }
        }

        /** bin/ of the old major: --from-binaries, else the usual install places (Debian, RHEL, Homebrew). */
        private Path oldBinaries(int major) {
            List<Path> candidates = fromBinaries != null ? List.of(fromBinaries)
                : PostgresTools.hostCandidates().stream().filter(c -> c.major() == major).map(PostgresTools.HostCandidate::bin).toList();
            return candidates.stream().filter(bin -> Files.isExecutable(bin.resolve("postgres")) && Files.isExecutable(bin.resolve("pg_ctl")))
                .findFirst().orElseThrow(() -> new OxyError(ExitCode.TOOLS_MISSING, "no PostgreSQL " + major + " server binaries here to read "
                    + dataDir + (fromBinaries != null ? " (none in " + fromBinaries + ")" : ""),
                    "Install them (Debian/Ubuntu: apt install postgresql-" + major + ") or pass --from-binaries DIR; nothing was changed."));
        }

        @Override
        public PostgresUrl startOldServer() {
            if (embedded.isRunning()) return embedded.url();
            int dataMajor = dataMajor();
            if (dataMajor >= EmbeddedRuntime.MAJOR) {
                throw new OxyError(ExitCode.REFUSED, "the embedded data in " + dataDir + " is PostgreSQL " + dataMajor + " already", "Nothing to do.");
            }
            int port = HostPorts.nextFree(runtime.postgresPort).orElseThrow(() -> new OxyError(ExitCode.PORT_IN_USE, "no free port", null));
            startOldCluster(oldBinaries(dataMajor), dataMajor, port);
            Readiness.waitUntilReady(embedded.url(), Duration.ofSeconds(60), () -> {});
            return embedded.url();
        }

        /** The old data directory served by the old major's binaries, as the embedded runtime would serve it. */
        private void startOldCluster(Path bin, int major, int port) {
            console.step("Starting PostgreSQL " + major + " from " + bin + " on " + dataDir + " (port " + port + ")");
            pgCtl(bin, "-D", dataDir.toString(), "-l", dataDir.resolveSibling("upgrade-old-server.log").toString(),
                "-o", "-p " + port + " -c listen_addresses=localhost -c unix_socket_directories=''", "-w", "-t", "120", "start");
        }

        @Override
        public Optional<PostgresUrl> runningOldServer(UpgradeState state) {
            return Files.exists(Path.of(state.kept())) || !embedded.isRunning() ? Optional.empty() : Optional.of(embedded.url());
        }

        @Override
        public void stopOldServer(UpgradeState state) {
            if (!embedded.isRunning()) return;
            pgCtl(Path.of(state.fromImage()), "-D", dataDir.toString(), "-m", "fast", "-w", "-t", "60", "stop");
            console.ok("Stopped PostgreSQL " + state.fromMajor() + " (data kept in " + dataDir + ")");
        }

        private void pgCtl(Path bin, String... arguments) {
            Processes.Result result = EmbeddedRuntime.pgCtl(bin, Duration.ofSeconds(150), arguments);
            if (!result.ok()) {
                throw new OxyError(ExitCode.FAILED, "pg_ctl " + arguments[arguments.length - 1] + " of PostgreSQL from " + bin + " failed (exit "
                    + result.exitCode() + ")", "Its log is " + dataDir.resolveSibling("upgrade-old-server.log") + ".", result.tail(5), null);
            }
        }

        @Override public DatabaseRuntime oldRuntime() { return embedded; }

        @Override
        public long freeBytes() {
            try {
                return Files.getFileStore(runtime.stateDir).getUsableSpace();
            } catch (IOException e) {
                return -1;
            }
        }

        @Override
        public UpgradeState newState(int fromMajor, Target target) {
            return new UpgradeState("embedded", dataDir.toString(), oldBinaries(fromMajor).toString(), dataDir.toString(), fromMajor,
                target.image(), dataDir + "-" + target.major(), target.major(), dataDir + "-" + target.major(),
                dataDir + "-pg" + fromMajor, null, 0, List.of());
        }

        @Override
        public List<String> describeSteps(UpgradeState state) {
            return List.of("new data directory " + state.to() + " with " + state.toImage() + " on a free port (the old directory is never touched)",
                "swap: keep the old directory as " + state.kept() + ", start " + state.toImage() + " on " + dataDir
                    + " and port " + runtime.postgresPort);
        }

        @Override
        public java.util.function.Supplier<List<String>> availableExtensions(Target target) {
            return () -> embedded.availableExtensions(console);
        }

        /** Both servers run on this host's C library: the collation provider does not change. */
        @Override public void warnOfCollationChange(PostgresUrl url, Target target) {}

        /** The old major's tools: a newer pg_dump may not be on this host, and pg_restore of the old major loads into 18 fine. */
        @Override public int dumpMajor(UpgradeState state) { return state.fromMajor(); }

        @Override
        public DatabaseRuntime staging(UpgradeState state) {
            // a staging server left running by an interrupted run keeps its port: EmbeddedRuntime reads it from postmaster.pid
            int port = HostPorts.nextFree(runtime.postgresPort + 1)
                .orElseThrow(() -> new OxyError(ExitCode.PORT_IN_USE, "no free port for the staging server", null));
            return new EmbeddedRuntime(optionsOnPort(port), Path.of(state.to()));
        }

        @Override
        public void swap(UpgradeState state) {
            Path next = Path.of(state.to());
            if (Files.exists(next)) new EmbeddedRuntime(optionsOnPort(runtime.postgresPort), next).stop(console);
            try {
                if (!Files.exists(Path.of(state.kept()))) Files.move(dataDir, Path.of(state.kept()), StandardCopyOption.ATOMIC_MOVE);
                if (Files.exists(next)) Files.move(next, dataDir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new OxyError(ExitCode.FAILED, "cannot swap the data directories: " + e.getMessage(), "Run the upgrade again to finish, or --rollback.", e);
            }
            new EmbeddedRuntime(runtime).start(console, Duration.ofSeconds(120));
        }

        @Override
        public void removeStaging(UpgradeState state) {
            Path next = Path.of(state.to());
            if (!Files.exists(next)) return;
            new EmbeddedRuntime(optionsOnPort(runtime.postgresPort), next).stop(console);
            try {
                EmbeddedRuntime.deleteRecursively(next);
            } catch (IOException e) {
                throw new OxyError(ExitCode.FAILED, "cannot remove " + next + ": " + e.getMessage(), "Remove it by hand; the old data is untouched.", e);
            }
        }

        @Override
        public void rollBack(UpgradeState state) throws IOException {
            Path kept = Path.of(state.kept());
            Path old = Files.exists(kept) ? kept : dataDir;
            if (!Files.exists(old.resolve("PG_VERSION")) || DatabaseRuntime.majorOf(Files.readString(old.resolve("PG_VERSION"))) != state.fromMajor()) {
                throw new OxyError(ExitCode.DATA_NEEDS_ATTENTION, "cannot roll back: no PostgreSQL " + state.fromMajor() + " data in " + kept + " or " + dataDir,
                    "Nothing was started." + (state.backup() == null ? "" : " The final backup " + state.backup() + " holds the data: './jbang oxy restore "
                        + state.backup() + "' once a server runs."));
            }
            removeStaging(state);
            if (Files.exists(kept)) {
                // the new server took the directory: it goes, the old one gets its place back
                if (Files.exists(dataDir)) {
                    embedded.stop(console);
                    EmbeddedRuntime.deleteRecursively(dataDir);
                }
                Files.move(kept, dataDir, StandardCopyOption.ATOMIC_MOVE);
            }
            if (!embedded.isRunning()) {
                Path bin = Path.of(state.fromImage());
                startOldCluster(bin, state.fromMajor(), runtime.postgresPort);
                console.info("Stop it with: " + String.join(" ", EmbeddedRuntime.asServerUser(bin.resolve("pg_ctl"))) + " -D " + Cli.shellQuote(dataDir.toString()) + " stop");
            }
        }

        @Override
        public void removeOld(UpgradeState state) throws IOException {
            EmbeddedRuntime.deleteRecursively(Path.of(state.kept()));
        }

        private RuntimeOptions optionsOnPort(int port) {
            return runtime.copy(RuntimeOptions.Kind.EMBEDDED, port);
        }
    }
}
