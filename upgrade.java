///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/**/*.java

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * upgrade: move the database to a newer PostgreSQL major by a final backup restored into new storage (a new
 * docker volume, or a new embedded data directory), keeping the old storage untouched until --finalize.
 * Every step is recorded in a state file, so a rerun resumes and --rollback always has a way back.
 */
@Command(name = "upgrade", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
    description = {"Upgrade PostgreSQL to a newer major: final backup, restore into a new volume (docker) or data directory "
        + "(embedded), verify, swap. The old one is kept until --finalize, so --rollback can always go back.",
        "External servers: --from-url A --to-url B moves the database from A to B and leaves A as it was; with --method replicate, "
            + "A is read-only from the switch and follows B until --finalize (or --rollback, with the same URLs)."},
    footer = {"", "Examples:", "  ./jbang oxy upgrade --to 18 --dry-run", "  ./jbang oxy upgrade --to 18",
        "  ./jbang oxy upgrade --to pgvector/pgvector:pg18", "  ./jbang oxy upgrade --rollback", "  ./jbang oxy upgrade --finalize",
        "  ./jbang oxy upgrade --from-url postgresql://app@old-db:5432/oxy --to-url postgresql://app@new-db:5432/oxy",
        "  ./jbang oxy upgrade --from-url postgresql://app@old-db:5432/oxy --to-url postgresql://app@new-db:5432/oxy --method replicate --yes"})
public class upgrade implements Callable<Integer> {

    @Mixin RuntimeOptions runtime;
    @Mixin BackupDirectoryOption store;

    @Option(names = "--to", paramLabel = "MAJOR|IMAGE", description = "Target major (18) or, in the docker runtime, an image (pgvector/pgvector:pg18).")
    String to;

    /** Both or neither; one alone is a usage error (exit 2) said in moveBetweenServers' words, not picocli's "missing argument". */
    @ArgGroup(exclusive = false, multiplicity = "0..1")
    ServerUrls move;

    static final class ServerUrls {
        @Option(names = "--from-url", paramLabel = "URL", description = "External: the server to move the database from (left as it was).")
        String from;

        @Option(names = "--to-url", paramLabel = "URL", description = "External: the server to move it to; its database must be new or empty. "
            + "Passwords of both come from the URLs, PGPASSWORD or ~/.pgpass.")
        String to;
    }

    @Option(names = "--from-binaries", paramLabel = "DIR", description = "Embedded: the old major's server binaries (bin/ with postgres and "
        + "pg_ctl); found in the usual install places otherwise.")
    Path fromBinaries;

    /** One at most: picocli refuses two (exit 2) rather than picking one. */
    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Action action = new Action();

    static final class Action {
        @Option(names = "--dry-run", description = "Print the plan and the pre-checks; change nothing.")
        boolean dryRun;

        @Option(names = "--rollback", description = "Bring back the old server and its data exactly as they were.")
        boolean rollback;

        @Option(names = "--finalize", description = "Remove the old container and volume, or data directory (asks first, or --yes).")
        boolean finalize;
    }

    @Option(names = {"-y", "--yes"}, description = "Do not ask; end the app's sessions when it is still connected.")
    boolean yes;

    enum Method { dump, replicate }

    @Option(names = "--method", defaultValue = "dump", paramLabel = "dump|replicate", description = "dump (default): a final backup restored "
        + "inside the downtime, which grows with the data. replicate (docker, embedded; --from-url/--to-url): the data copied by logical "
        + "replication while the app writes; the downtime is the switchover only.")
    Method method;

    @Spec CommandSpec spec;

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
        if (move != null && (move.from == null || move.to == null)) throw new ParameterException(spec.commandLine(), "--from-url and --to-url go together");
        Installation installation = move == null ? installation(Runtimes.select(runtime)) : new ExternalInstallation(move.from, move.to, runtime, console);
        // between external servers, dump is ServerMove's; replicate, and its --rollback and --finalize, are the steps below
        if (move != null && method == Method.dump && !action.rollback && !action.finalize && !Files.exists(installation.stateFile())) {
            return moveBetweenServers();
        }
        Path stateFile = installation.stateFile();
        Optional<UpgradeState> pending = UpgradeState.read(stateFile);
        if (action.rollback) return rollBack(installation, pending.orElseThrow(() -> new OxyError(ExitCode.USAGE, "no upgrade to roll back", null)));
        if (action.finalize) return finalizeUpgrade(installation, pending.orElseThrow(() -> new OxyError(ExitCode.USAGE, "no upgrade to finalize", null)));
        if (to == null && move == null) throw new OxyError(ExitCode.USAGE, "say which major to upgrade to: --to 18 (or --to postgres:18-alpine)", null);
        if (pending.isPresent() && pending.get().swapped() && pending.get().did(UpgradeState.WAY_BACK_READY)
            && !pending.get().did(UpgradeState.WAY_BACK_FOLLOWING) && !action.dryRun) {
            console.info("Resuming the upgrade to " + pending.get().toImage() + ": the switch is done, the way back is not");
            followFromOldServer(installation, pending.get());
            return ExitCode.OK;
        }
        if (pending.isPresent() && pending.get().swapped()) {
            throw new OxyError(ExitCode.REFUSED, "an upgrade to PostgreSQL " + pending.get().toMajor() + " is done but not finalized",
                "Check the app, then './jbang oxy upgrade --finalize' (removes the old data) or '--rollback'.");
        }
        if (pending.isPresent() && pending.get().replicated() && !pending.get().did(UpgradeState.VERIFIED) && !action.dryRun) {
            // before the switch nothing was lost by stopping: undo and copy again (a resumed copy could not be trusted)
            console.warn("An earlier --method replicate run was interrupted before the switch: removing what it made, then starting over");
            undoReplication(installation, pending.get());
            pending = Optional.empty();
        }
        if (pending.isPresent()) console.info("Resuming the upgrade to " + pending.get().toImage() + " (done: " + pending.get().done() + ")");
        if (pending.isEmpty() && method == Method.replicate && !installation.canReplicate()) {
            throw new OxyError(ExitCode.USAGE, "--method replicate works in the docker and embedded runtimes only, for now",
                "Use --method dump (the default); nothing was changed.");
        }
        UpgradeState state = pending.orElseGet(() -> plan(installation));
        if (action.dryRun) return rehearseOnly(installation, state);
        return state.replicated() ? runReplicated(installation, state) : run(installation, state);
    }

    private Installation installation(DatabaseRuntime database) {
        if (database instanceof DockerRuntime docker) return new DockerInstallation(docker, runtime, console);
        if (database instanceof EmbeddedRuntime embedded) return new EmbeddedInstallation(embedded, runtime, fromBinaries, console);
        throw new OxyError(ExitCode.USAGE, "an external server is upgraded by moving its database to a newer one",
            "Use --from-url OLD --to-url NEW (e.g. a new managed instance); nothing was changed.");
    }

    /** External servers: the database moved from --from-url to --to-url (lib/upgrade/ServerMove). */
    private Integer moveBetweenServers() throws Exception {
        return new ServerMove(move.from, move.to, runtime, store.directory(runtime), yes, console).run(action.dryRun);
    }

    // --- plan and pre-checks ---

    private UpgradeState plan(Installation installation) {
        PostgresUrl url = installation.startOldServer();
        String serverVersion = BackupMaker.serverVersion(url);
        int fromMajor = DatabaseRuntime.majorOf(serverVersion);
        // a major that is not newer is refused before an image is pulled for it
        Target target = to != null && to.matches("\\d+") && Integer.parseInt(to) <= fromMajor ? new Target(to, Integer.parseInt(to)) : installation.target(to);
        if (target.major() <= fromMajor) {
            throw new OxyError(ExitCode.REFUSED, "PostgreSQL " + serverVersion + " is already at or past " + target.major(), "Nothing to do.");
        }
        UpgradeState state = installation.newState(fromMajor, target);
        long size = SingleValue.databaseSize(url);
        long free = installation.freeBytes();
        console.info("Plan: PostgreSQL " + serverVersion + " (data: PG_VERSION " + installation.dataMajor() + ", " + state.fromImage()
            + ", " + state.from() + ") -> " + target.image() + " (PostgreSQL " + target.major() + ")");
        if (method == Method.replicate) return planReplication(installation, url, state, target, size, free);
        console.info("  method dump: a final backup restored inside the downtime (--method replicate copies while the app writes)");
        console.info("  database " + url.database() + ": " + Console.humanBytes(size) + "; free disk: "
            + (free < 0 ? "unknown" : Console.humanBytes(free)) + ", needed about " + Console.humanBytes(size * 2) + " (a backup and the new data)");
        List<String> steps = installation.describeSteps(state);
        console.info("  1. " + steps.get(0) + "; rehearse the schema there (what it rejects stops the upgrade here)");
        console.info("  2. downtime begins: end the app's sessions, final verified backup with pg_dump " + installation.dumpMajor(state)
            + ", stop the old server (nothing written after the backup can be lost)");
        SchemaOwner owner = SchemaOwner.ofDatabase(url); // as the post-load check will judge the moved database
        console.info("  3. restore, compare exact row counts, " + (owner.mayMigrate() ? "apply migrations/, " : "") + "ANALYZE");
        console.info("  4. " + steps.get(1));
        if (!owner.mayMigrate()) console.warn(PostLoadCheck.asItIs(owner, "moved"));
        console.info("  estimated downtime (writers stopped to new server ready): about " + Math.max(5, size / (40L << 20)) + " s at 40 MB/s");
        if (free >= 0 && free < size * 2) {
            throw new OxyError(ExitCode.REFUSED, "not enough free disk: " + Console.humanBytes(free) + " free, about "
                + Console.humanBytes(size * 2) + " needed (a backup and the new data)", "Free space, then run again; nothing was changed.");
        }
        checkExtensionsAvailable(url, installation.availableExtensions(target), target.image());
        installation.warnOfCollationChange(url, target);
        AppSessions.checkNoneConnected(url, yes, console);
        return state;
    }

    /**
     * --method replicate: its plan and its pre-checks, every refusal before anything changes. wal_level is no
     * refusal here: the run restarts the old server once with wal_level=logical, before the copy.
     */
    private UpgradeState planReplication(Installation installation, PostgresUrl url, UpgradeState state, Target target, long size, long free) {
        List<String> steps = installation.describeSteps(state);
        boolean logical = "logical".equals(LogicalReplication.walLevel(url));
        List<String> withoutIdentity = LogicalReplication.tablesWithoutReplicaIdentity(url);
        long needed = size + Math.max(size / 10, 64L << 20);
        console.info("  method replicate: the app keeps writing while the data is copied; the downtime is the switchover only");
        console.info("  database " + url.database() + ": " + Console.humanBytes(size) + "; free disk: " + (free < 0 ? "unknown" : Console.humanBytes(free))
            + ", needed about " + Console.humanBytes(needed) + " (the new data, and the WAL the old server keeps for the copy)");
        console.info("  1. " + (logical ? "wal_level is logical already: no restart" : "restart the old server once with wal_level=logical "
            + "(a few seconds; the app's sessions end and reconnect)"));
        console.info("  2. " + steps.get(0) + "; the schema from pg_dump " + installation.dumpMajor(state) + " (tables, then indexes and constraints)");
        if (!withoutIdentity.isEmpty()) {
            console.info("     tables without a primary key get REPLICA IDENTITY FULL until the switch: "
                + String.join(", ", withoutIdentity.stream().map(LogicalReplication::tableOf).toList()));
        }
        console.info("  3. copy while the app writes: publication " + LogicalReplication.NAME + " on the old database, subscription "
            + LogicalReplication.NAME + " on the new one (initial copy, then every change)");
        console.info("  4. switchover, the downtime: writes refused on the old database and the app's sessions ended, lag drained, "
            + "sequences set, exact row counts compared, subscription and publication removed");
        console.info("  5. " + steps.get(1));
        console.info("  estimated downtime: seconds, whatever the size (the copy before it takes about " + Math.max(5, size / (40L << 20)) + " s at 40 MB/s)");
        if (!LogicalReplication.mayReplicate(url)) {
            throw new OxyError(ExitCode.REFUSED, "role " + url.user() + " may not replicate (neither REPLICATION nor superuser)",
                "As a superuser: ALTER ROLE " + url.user() + " REPLICATION; or use --method dump. Nothing was changed.");
        }
        if (!logical && !LogicalReplication.maySetWalLevel(url)) {
            throw new OxyError(ExitCode.REFUSED, "wal_level is " + LogicalReplication.walLevel(url) + " and role " + url.user()
                + " may not set it (ALTER SYSTEM needs a superuser)", "As a superuser: ALTER SYSTEM SET wal_level = logical, and restart the server; "
                + "or use --method dump. Nothing was changed.");
        }
        long largeObjects = LogicalReplication.largeObjects(url);
        if (largeObjects > 0) {
            throw new OxyError(ExitCode.REFUSED, "database " + url.database() + " holds " + largeObjects + " large object(s), which logical replication does not copy",
                "Use --method dump; nothing was changed.");
        }
        if (free >= 0 && free < needed) {
            throw new OxyError(ExitCode.REFUSED, "not enough free disk: " + Console.humanBytes(free) + " free, about " + Console.humanBytes(needed)
                + " needed (the new data and the WAL kept during the copy)", "Free space, then run again; nothing was changed.");
        }
        checkExtensionsAvailable(url, installation.availableExtensions(target), target.image());
        installation.warnOfCollationChange(url, target);
        return state.withReplication(new UpgradeState.Replication(withoutIdentity, null));
    }

    /** Every installed extension must exist in the target, or the restore would fail halfway. */
    private void checkExtensionsAvailable(PostgresUrl url, Supplier<List<String>> available, String target) {
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
            AppSessions.end(url);
            long writes = AppSessions.writesSoFar(url);
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
                emptyDatabase(installation, staging);
                Map<String, Integer> leftOut = new LinkedHashMap<>(archive.restoreInto(tools, staging.url(), 2, false, false));
                leftOut.keySet().removeAll(saidAtRehearsal.keySet()); // said once is enough
                PreDataSection.reportLeftOut(console, leftOut);
            }
            state = state.with(UpgradeState.RESTORED);
            state.write(installation.stateFile());
        }
        if (!state.did(UpgradeState.VERIFIED)) {
            if (restoredEarlier) staging.start(console, Duration.ofSeconds(120));
            new PostLoadCheck(staging.url(), "moved", console).run(BackupArchive.resolve(state.backup(), backups).manifest().orElseThrow().rowCounts(),
                "the final backup " + state.backup(), "The old data is untouched; './jbang oxy upgrade --rollback' brings the old server back.");
            state = state.with(UpgradeState.VERIFIED);
            state.write(installation.stateFile());
        }
        installation.swap(state, new Downtime());
        state = state.with(UpgradeState.SWAPPED);
        state.write(installation.stateFile());
        console.ok("Upgraded to " + state.toImage() + "; downtime " + seconds(Duration.between(writersStopped, Instant.now()))
            + " (writers stopped to new server ready). The old data is kept in " + state.kept());
        console.info("Check the app, then: ./jbang oxy upgrade --finalize   (or --rollback to go back)");
        return ExitCode.OK;
    }

    // --- --method replicate ---

    /**
     * The copy runs while the app writes; the downtime is the switchover alone. Until the switch is verified,
     * any failure or Ctrl+C removes what the run made (new server, publication, slots, replica identities) and
     * the old server takes writes as before; a rerun after kill -9 does the same, then starts over.
     */
    private Integer runReplicated(Installation installation, UpgradeState planned) throws Exception {
        UpgradeState state = planned;
        state.write(installation.stateFile());
        Thread undoOnInterrupt = undoOnInterrupt(installation);
        Runtime.getRuntime().addShutdownHook(undoOnInterrupt);
        Downtime downtime = null;
        try {
            DatabaseRuntime staging = installation.staging(state);
            if (!state.did(UpgradeState.VERIFIED)) {
                PostgresUrl old = enableLogicalWal(installation);
                staging.start(console, Duration.ofSeconds(120));
                logicalWalOnNewServer(staging);
                state = state.withReplication(new UpgradeState.Replication(state.replication().replicaIdentityFull(),
                    LogicalReplication.systemIdentifier(staging.url())));
                state.write(installation.stateFile());
                loadSchema(installation, state, old, staging.url());
                LogicalReplication.setReplicaIdentityFull(old, state.replication().replicaIdentityFull());
                LogicalReplication.createPublication(old);
                LogicalReplication.createSubscription(staging.url(), installation.replicationSource(), old);
                state = state.with(UpgradeState.SUBSCRIBED);
                state.write(installation.stateFile());
                awaitCopy(old, staging.url());
                vacuumNewDatabase(staging.url());
                countBeforehand(old, staging.url());
                LogicalReplication.flushEachCommit(staging.url()); // the drain inside the downtime then waits on no timer
                LogicalReplication.checkpoint(old, staging.url()); // the swap's shutdowns then have little to write, inside the downtime
                state = state.with(UpgradeState.WRITES_REFUSED);
                state.write(installation.stateFile());
                downtime = new Downtime();
                switchOver(old, staging.url(), downtime);
                state = state.with(UpgradeState.VERIFIED);
                state.write(installation.stateFile());
            }
            removeReplication(installation, state, staging.url());
            state = prepareWayBack(installation, state, staging);
            if (downtime != null) downtime.stepDone("replication turned around");
            installation.swap(state, downtime == null ? new Downtime() : downtime);
            state = state.with(UpgradeState.SWAPPED);
            state.write(installation.stateFile());
        } catch (Exception | Error failure) {
            if (!state.did(UpgradeState.VERIFIED)) undoAfterFailure(installation, failure);
            throw failure;
        } finally {
            Cli.removeShutdownHook(undoOnInterrupt);
        }
        console.ok("Upgraded to " + state.toImage() + "; downtime " + (downtime == null ? "unknown (resumed run)"
                : downtime.total() + " (writes refused to new server accepting: " + downtime.steps() + ")") + ". The old data is kept in " + state.kept());
        followFromOldServer(installation, state);
        return ExitCode.OK;
    }

    /** The new server runs with wal_level=logical (ALTER SYSTEM and a restart before the copy), so that it can keep a slot for the way back. */
    private void logicalWalOnNewServer(DatabaseRuntime staging) throws SQLException {
        if ("logical".equals(LogicalReplication.walLevel(staging.url()))) return;
        try (Connection connection = staging.url().connect(); Statement statement = connection.createStatement()) {
            statement.execute("ALTER SYSTEM SET wal_level = logical");
        }
        staging.stop(console);
        staging.start(console, Duration.ofSeconds(120));
    }

    /**
     * Inside the downtime, before the new server takes a write: its publication and slot oxy_upgrade_back, so every
     * write from the switch on is kept for the old server. Without them (a resumed run whose new server is gone)
     * the upgrade goes on, and a rollback would lose the writes since the switch: said.
     */
    private UpgradeState prepareWayBack(Installation installation, UpgradeState state, DatabaseRuntime staging) throws Exception {
        if (state.did(UpgradeState.WAY_BACK_READY) || state.swapped()) return state;
        try {
            LogicalReplication.prepareWayBack(staging.url(), state.replication().replicaIdentityFull());
        } catch (OxyError | SQLException notThere) {
            console.warn("No way back with the writes to come (" + notThere.getMessage() + "): a rollback would go back to the data of the switch");
            return state;
        }
        state = state.with(UpgradeState.WAY_BACK_READY);
        state.write(installation.stateFile());
        return state;
    }

    /**
     * After the downtime: the old server runs again beside the new one (another port) and subscribes to the new
     * one's slot, with nothing copied: it follows every write until --finalize, so --rollback loses none.
     */
    private void followFromOldServer(Installation installation, UpgradeState state) throws Exception {
        if (!state.did(UpgradeState.WAY_BACK_READY)) {
            console.info("Check the app, then: ./jbang oxy upgrade --finalize   (or --rollback to go back to PostgreSQL " + state.fromMajor()
                + " as it was at the switch; writes made since are not carried back)");
            return;
        }
        console.step("The way back: the old server follows the new one (publication, slot and subscription " + LogicalReplication.BACK + ")");
        PostgresUrl old = installation.startKeptServer(state);
        LogicalReplication.subscribeBack(old, installation.newServerAddress(state), installation.startOldServer());
        if (!state.did(UpgradeState.WAY_BACK_FOLLOWING)) state.with(UpgradeState.WAY_BACK_FOLLOWING).write(installation.stateFile());
        console.ok("PostgreSQL " + state.fromMajor() + " (" + state.kept() + ", port " + old.port() + ", read-only) follows every write made on the new server");
        console.info("Check the app, then: ./jbang oxy upgrade --finalize   (or --rollback: back to PostgreSQL " + state.fromMajor()
            + " with every write made since the switch)");
    }

    /** wal_level=logical, which takes a restart: the one short interruption before the switch, timed and said. The old server's URL. */
    private PostgresUrl enableLogicalWal(Installation installation) throws SQLException {
        PostgresUrl old = installation.startOldServer();
        if ("logical".equals(LogicalReplication.walLevel(old))) return old;
        console.step("Restarting the old server with wal_level=logical (ALTER SYSTEM; the app's sessions end and reconnect)");
        try (Connection connection = old.connect(); Statement statement = connection.createStatement()) {
            statement.execute("ALTER SYSTEM SET wal_level = logical");
        }
        Instant restart = Instant.now();
        old = installation.restartOldServer();
        console.ok("Old server restarted with wal_level=logical in " + seconds(Duration.between(restart, Instant.now()))
            + " (it stays logical; 'ALTER SYSTEM RESET wal_level' and a restart undo it)");
        return old;
    }

    /**
     * The schema with the pg_dump the rehearsal used (the new major's in docker and external, the old one's in
     * embedded): tables first (with the options the target does not know left out, as for dump), then indexes and
     * constraints, before the copy: updates find their rows by primary key.
     */
    private void loadSchema(Installation installation, UpgradeState state, PostgresUrl old, PostgresUrl target) throws Exception {
        emptyDatabase(installation, installation.staging(state));
        PreDataSection tables = PreDataSection.ofDatabase(installation.oldRuntime(), old, installation.dumpMajor(state), console);
        PreDataSection.reportLeftOut(console, tables.load(target));
        Path work = Files.createTempDirectory("oxy-upgrade-post-data-");
        try (PostgresTools tools = PostgresTools.find(installation.dumpMajor(state), installation.oldRuntime(), List.of(work), console)) {
            Path file = work.resolve("post-data.sql");
            Processes.Result dumped = tools.run("pg_dump", List.of("--section=post-data", "--no-password", "--file=" + file, old.database()), old);
            if (!dumped.ok()) {
                throw new OxyError(ExitCode.FAILED, "pg_dump could not write the indexes and constraints of " + old.database() + ": "
                    + String.join(" ", dumped.tail(1)), null, dumped.tail(5), null);
            }
            List<String> statements = PreDataSection.statementsOf(Files.readString(file));
            try (Connection connection = target.connect(); Statement statement = connection.createStatement()) {
                connection.setAutoCommit(false);
                for (String sql : statements) statement.execute(sql);
                connection.commit();
            }
            console.ok("Schema loaded into the new server with " + tools.describe() + ": " + tables.size() + " + " + statements.size() + " statements");
        } finally {
            DurableFiles.deleteRecursively(work);
        }
    }

    /** Until every table is copied and the new server is within a few MB of the old one: a line on a terminal, a line each 10 s otherwise. */
    private void awaitCopy(PostgresUrl old, PostgresUrl target) throws InterruptedException {
        console.step("Copying while the app writes (publication and subscription " + LogicalReplication.NAME + ")");
        java.util.concurrent.atomic.AtomicReference<String> said = new java.util.concurrent.atomic.AtomicReference<>("starting the copy");
        long started = System.nanoTime();
        long lastLine = started;
        try (Console.Progress progress = console.progress(said::get)) {
            while (true) {
                List<String> copying = LogicalReplication.tablesStillCopying(target);
                long lag = LogicalReplication.lagBytes(old);
                LogicalReplication.requireNoErrors(target);
                if (copying.isEmpty() && lag >= 0 && lag < CAUGHT_UP_BYTES) break;
                said.set(copying.isEmpty() ? "catching up: " + Console.humanBytes(Math.max(0, lag)) + " behind"
                    : copying.size() + " table(s) left to copy (" + Console.humanBytes(LogicalReplication.bytesOf(old, copying)) + "), "
                        + Console.humanBytes(Math.max(0, lag)) + " of changes behind");
                if (!Console.isTerminal() && System.nanoTime() - lastLine > 10_000_000_000L) {
                    console.info(said.get());
                    lastLine = System.nanoTime();
                }
                Thread.sleep(200);
            }
        }
        console.ok("Copied; the new server follows the old one (" + (System.nanoTime() - started) / 1_000_000_000 + " s)");
    }

    /** Before the downtime: the new rows' hint bits and statistics, so the counts inside it only read. */
    private void vacuumNewDatabase(PostgresUrl target) throws SQLException {
        console.step("VACUUM (ANALYZE) of the new database while the app still writes to the old one");
        Instant started = Instant.now();
        LogicalReplication.vacuumAnalyze(target);
        console.ok("New database vacuumed and analyzed in " + Duration.between(started, Instant.now()).toSeconds() + " s");
    }

    /**
     * Both servers counted once while the app still writes: their pages are then in memory and the old rows' hint
     * bits set, so the exact counts inside the downtime, which grow with the data, only read warm pages.
     */
    private void countBeforehand(PostgresUrl old, PostgresUrl target) {
        Instant started = Instant.now();
        var oldCounted = java.util.concurrent.CompletableFuture.supplyAsync(() -> LogicalReplication.rowCountsOrUnavailable(old));
        long rows = RowCounts.total(LogicalReplication.rowCountsOrUnavailable(target));
        Cli.join(oldCounted);
        console.ok("Both servers counted once beforehand (" + rows + " rows on the new one) in " + seconds(Duration.between(started, Instant.now()))
            + ": the exact counts inside the downtime read warm pages");
    }

    private static String seconds(Duration duration) { return String.format(Locale.ROOT, "%.1f s", duration.toMillis() / 1000.0); }

    /** Lag below this at the end of the copy: the switch then drains it in well under a second. */
    private static final long CAUGHT_UP_BYTES = 8L << 20;

    /** The downtime: writes refused, the lag drained, sequences set, exact row counts compared. Nothing of the old server is changed for good. */
    private void switchOver(PostgresUrl old, PostgresUrl target, Downtime downtime) throws Exception {
        console.step("Switchover: writes refused on the old database, the app's sessions ended");
        LogicalReplication.refuseWrites(old);
        downtime.stepDone("writes refused");
        String lsn = LogicalReplication.currentLsn(old);
        // the old database no longer changes: it is counted while the new server drains the lag, then the new one is
        var oldCounted = java.util.concurrent.CompletableFuture.supplyAsync(() -> LogicalReplication.rowCountsOrUnavailable(old));
        LogicalReplication.awaitConfirmed(old, lsn, Duration.ofMinutes(5));
        downtime.stepDone("drained");
        int sequences = LogicalReplication.copySequences(old, target);
        Map<String, Long> counted = LogicalReplication.rowCounts(target);
        Map<String, Long> expected = Cli.join(oldCounted);
        RowCounts.requireMatching(expected, counted, "the old database at the switch",
            "Nothing was switched; the old server takes writes again. Run the upgrade again, or use --method dump.");
        downtime.stepDone("counted");
        console.ok("Caught up to " + lsn + ": " + sequences + " sequence(s) set, row counts match in " + expected.size() + " table(s) ("
            + RowCounts.total(expected) + " rows)");
    }

    /** After the switch is verified: the subscription, its slots, the publication and the replica identities go; the old database stays read-only. */
    private void removeReplication(Installation installation, UpgradeState state, PostgresUrl target) throws Exception {
        if (installation.runningOldServer(state).isEmpty()) return; // stopped by the swap: removed before it
        LogicalReplication.dropSubscription(target);
        List<String> removed = LogicalReplication.cleanOld(installation.startOldServer(), state.replication().subscriberSystemId(),
            state.replication().replicaIdentityFull(), false);
        if (!removed.isEmpty()) console.ok("Removed from the old server: " + String.join(", ", removed));
    }

    /**
     * What a replicate run made, removed: the new server (its subscription with it), then on the old server our
     * slots, the publication and the replica identities, and writes allowed again. Used on failure, Ctrl+C,
     * --rollback and a rerun after kill -9; each part whether or not it is still there.
     */
    private void undoReplication(Installation installation, UpgradeState state) throws Exception {
        installation.removeStaging(state);
        List<String> removed = LogicalReplication.cleanOld(installation.startOldServer(), state.replication().subscriberSystemId(),
            state.replication().replicaIdentityFull(), state.did(UpgradeState.WRITES_REFUSED));
        Files.deleteIfExists(installation.stateFile());
        console.info("Removed " + installation.describeNewStorage(state)
            + (removed.isEmpty() ? "" : "; from the old server: " + String.join(", ", removed)));
    }

    private void undoAfterFailure(Installation installation, Throwable failure) {
        try {
            Optional<UpgradeState> now = UpgradeState.read(installation.stateFile());
            if (now.isPresent()) undoReplication(installation, now.get());
        } catch (Exception cleanup) {
            failure.addSuppressed(cleanup);
            console.fail("could not remove everything the upgrade made (" + cleanup.getMessage() + "); './jbang oxy upgrade --rollback' finishes it");
        }
    }

    private Thread undoOnInterrupt(Installation installation) {
        return new Thread(() -> {
            try {
                Optional<UpgradeState> now = UpgradeState.read(installation.stateFile());
                if (now.isEmpty() || now.get().swapped()) return;
                if (now.get().did(UpgradeState.VERIFIED)) {
                    console.fail("upgrade interrupted inside the switch: run it again to finish it (or --rollback)");
                    return;
                }
                undoReplication(installation, now.get());
                console.fail("upgrade interrupted: what it made was removed; the old server takes writes as before");
            } catch (Exception e) {
                console.fail("upgrade interrupted; cleanup incomplete (" + e.getMessage() + "): run './jbang oxy upgrade --rollback'");
            }
        }, "undo-unfinished-replication");
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
            emptyDatabase(installation, staging);
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
    private void emptyDatabase(Installation installation, DatabaseRuntime staging) {
        if (installation.stagingStartsEmpty()) return;
        Databases databases = new Databases(staging.url());
        try {
            databases.drop(runtime.database);
            databases.create(runtime.database);
        } catch (SQLException e) {
            throw staging.url().unavailable(e);
        }
    }

    /**
     * From here the old server stays stopped, so nothing written to it can be lost at the swap. It must not
     * have taken writes since the final backup; if it did (an app that reconnected), the backup is stale.
     */
    private void stopOldServer(Installation installation, UpgradeState state) throws Exception {
        Optional<PostgresUrl> running = installation.runningOldServer(state);
        if (running.isEmpty()) return;
        AppSessions.end(running.get());
        long writes = AppSessions.writesSoFar(running.get()) - state.writesAtBackup();
        if (writes != 0) {
            state.withoutBackup().write(installation.stateFile());
            throw new OxyError(ExitCode.REFUSED, "the app wrote to the old server after the final backup (" + Math.abs(writes)
                + " row changes); switching now would lose them", "Stop the app (or let --yes end its sessions), then run the upgrade "
                + "again: it takes a new final backup. The old server still runs and has everything.");
        }
        installation.stopOldServer(state);
    }

    /** Back to the old server and data, from whatever step the upgrade reached. */
    private Integer rollBack(Installation installation, UpgradeState state) throws Exception {
        if (state.replicated() && !state.did(UpgradeState.VERIFIED)) { // the old server never stopped: remove what the run made
            undoReplication(installation, state);
            console.ok("Rolled back: PostgreSQL " + state.fromMajor() + " (" + state.fromImage() + ") runs on " + state.from() + " as before, and takes writes");
            return ExitCode.OK;
        }
        boolean wayBack = state.swapped() && state.did(UpgradeState.WAY_BACK_READY);
        if (state.swapped() && !wayBack) console.warn("Going back to PostgreSQL " + state.fromMajor() + ": anything written since the upgrade is discarded");
        if (wayBack && !state.did(UpgradeState.CAUGHT_UP_BACK)) state = catchUpOldServer(installation, state);
        boolean oldServerStopped = installation.runningOldServer(state).isEmpty(); // by the upgrade: it took nothing since the backup
        installation.rollBack(state);
        if (state.replicated()) { // writes were refused at the switch; a kill inside it may have left a slot or the publication
            PostgresUrl old = installation.oldRuntime().url();
            if (LogicalReplication.dropSubscriptionBack(old)) console.ok("Removed from the old server: subscription " + LogicalReplication.BACK);
            List<String> removed = LogicalReplication.cleanOld(old, state.replication().subscriberSystemId(), state.replication().replicaIdentityFull(), true);
            if (!removed.isEmpty()) console.ok("Removed from the old server: " + String.join(", ", removed));
        }
        verifyOldServer(installation.oldRuntime().url(), state, oldServerStopped);
        Files.deleteIfExists(installation.stateFile());
        console.ok("Rolled back: PostgreSQL " + state.fromMajor() + " (" + state.fromImage() + ") runs on " + state.from()
            + (wayBack ? " with every write made since the switch, and takes writes" : " as before"));
        return ExitCode.OK;
    }

    /**
     * The rollback's switch, the other way: writes refused on the new database and its sessions ended, the old
     * server's lag drained, sequences set from the new values, exact counts compared, the subscription back dropped.
     * A failure before the counts match allows writes on the new server again: nothing was switched.
     */
    private UpgradeState catchUpOldServer(Installation installation, UpgradeState state) throws Exception {
        PostgresUrl newServer = installation.startOldServer(); // after the swap the usual name is the new server's
        PostgresUrl old = installation.startKeptServer(state);
        LogicalReplication.subscribeBack(old, installation.newServerAddress(state), newServer); // a run killed before it subscribed
        console.step("Writes refused on the new database, the app's sessions ended; the old server catches up");
        Downtime downtime = new Downtime();
        LogicalReplication.refuseWrites(newServer);
        try {
            String lsn = LogicalReplication.currentLsn(newServer);
            LogicalReplication.awaitConfirmedBack(newServer, lsn, Duration.ofMinutes(5));
            int sequences = LogicalReplication.copySequences(newServer, old);
            LogicalReplication.requireSameCounts(newServer, old, "the new database at the rollback",
                "Nothing was rolled back; the new server takes writes again. Run '--rollback' again, or '--finalize' to stay.");
            LogicalReplication.dropSubscriptionBack(old);
            state = state.with(UpgradeState.CAUGHT_UP_BACK);
            state.write(installation.stateFile());
            console.ok("The old server caught up to " + lsn + " in " + downtime.total() + ": " + sequences + " sequence(s) set, row counts match");
            return state;
        } catch (Exception | Error failure) {
            LogicalReplication.allowWrites(newServer);
            throw failure;
        }
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

    /** --finalize: the way back's subscription on the old server (when it runs), then its slot, publication and replica identities on the new. */
    private void removeWayBack(Installation installation, UpgradeState state) throws Exception {
        List<String> removed = new ArrayList<>();
        Optional<PostgresUrl> old = installation.runningKeptServer(state);
        if (old.isPresent() && LogicalReplication.dropSubscriptionBack(old.get())) removed.add("subscription " + LogicalReplication.BACK + " on the old server");
        PostgresUrl newServer = installation.startOldServer(); // after the swap the usual name is the new server's
        removed.addAll(LogicalReplication.removeWayBack(newServer, state.replication().replicaIdentityFull()));
        LogicalReplication.allowWrites(newServer); // a rollback killed inside its switch refused them
        if (!removed.isEmpty()) console.ok("Removed the way back: " + String.join(", ", removed));
    }

    private Integer finalizeUpgrade(Installation installation, UpgradeState state) throws Exception {
        if (!state.swapped()) throw new OxyError(ExitCode.REFUSED, "the upgrade has not swapped yet; nothing to finalize", "Run it again to resume, or --rollback.");
        if (!yes && installation.finalizeDeletesOldData()) {
            Console.requireTyped(state.from(), "This deletes the old data (" + state.kept() + ") for good. Type " + state.from() + " to confirm: ",
                new OxyError(ExitCode.REFUSED, "finalize deletes " + state.kept() + "; no terminal to confirm", "Pass --yes."),
                "not confirmed; nothing was removed");
        }
        if (state.replicated() && state.did(UpgradeState.WAY_BACK_READY)) removeWayBack(installation, state);
        installation.removeOld(state);
        Files.deleteIfExists(installation.stateFile());
        console.ok(installation.finalizeDeletesOldData() ? "Finalized: removed the old PostgreSQL " + state.fromMajor() + " data (" + state.kept() + ")"
            : "Finalized: nothing of the upgrade is left on " + state.kept() + " or " + state.toImage());
        return ExitCode.OK;
    }
}
