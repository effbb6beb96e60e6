import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.postgresql.jdbcurlresolver.PgPassParser;

/**
 * upgrade --from-url A --to-url B --method replicate: two servers someone else runs, reached by URL, never
 * started, stopped or restarted here. The new storage is a new database on B (&lt;db&gt;_moving_&lt;time&gt;, as
 * ServerMove loads into), checked, made and renamed with ServerMove's steps; the swap is its rename to B's
 * database name and B's URL printed. As the docker container's name passes to the new server at the swap,
 * the app's server (startOldServer) is A until the swap and B after it.
 *
 * The subscriptions reach the other server at the host and port of its URL, with its password (from the URL,
 * PGPASSWORD or ~/.pgpass) in their connection string: PostgreSQL keeps that in the subscriber's catalog
 * (pg_subscription.subconninfo, superusers only) until the subscription is dropped; it is never printed or
 * passed in a process's arguments.
 */
public final class ExternalInstallation implements Installation {
    private final PostgresUrl from;
    private final PostgresUrl target;
    private final RuntimeOptions runtime;
    private final Console console;

    /** runtime: the shared options (state directory; A's runtime is an external copy of them). */
    public ExternalInstallation(String fromUrl, String toUrl, RuntimeOptions runtime, Console console) {
        this.from = withPassword(PostgresUrl.parse(fromUrl));
        this.target = withPassword(PostgresUrl.parse(toUrl));
        this.runtime = runtime;
        this.console = console;
    }

    /** One state file per pair of servers and databases, so --rollback and --finalize with the same URLs find it. */
    @Override
    public Path stateFile() {
        return runtime.stateDir.resolve("upgrade-external-" + slug(from) + "-to-" + slug(target) + ".json");
    }

    private static String slug(PostgresUrl url) {
        return (url.host() + "-" + url.port() + "-" + url.database()).replaceAll("[^A-Za-z0-9._-]", "_");
    }

    /**
     * B, checked before anything is made, with what the pair of servers needs to replicate both ways (the copy
     * A to B, the way back B to A): B newer and its database new or empty (as for --method dump), wal_level
     * logical on both (neither can be restarted from here), each role may replicate and subscribe, and B can
     * reach A at the address of A's URL.
     */
    @Override
    public Target target(String to) {
        int fromMajor = BackupMaker.serverMajor(from);
        int toMajor = BackupMaker.serverMajor(target.withDatabase("postgres"));
        if (to != null && !to.equals(String.valueOf(toMajor))) {
            throw new OxyError(ExitCode.USAGE, "--to " + to + " does not match the server of --to-url, which runs PostgreSQL " + toMajor,
                "Leave out --to with --from-url/--to-url; nothing was changed.");
        }
        if (toMajor > fromMajor) checkTargetDatabase(fromMajor, toMajor); // not newer: the plan says so
        requireLogicalWal(from, "the old server");
        requireLogicalWal(target.withDatabase("postgres"), "the new server (for the way back, a slot on it keeps the writes made after the switch)");
        requireMaySubscribe(target.withDatabase("postgres"), "the new server");
        requireMaySubscribe(from, "the old server (the way back subscribes it to the new one)");
        if (!LogicalReplication.mayReplicate(target.withDatabase("postgres"))) {
            throw new OxyError(ExitCode.REFUSED, "role " + target.user() + " on the new server may not replicate (neither REPLICATION nor superuser), "
                + "which the way back needs", "On the new server, as an administrator: ALTER ROLE " + target.user() + " REPLICATION; or use --method dump. "
                + "Nothing was changed.");
        }
        if (isLoopback(from.host()) && !isLoopback(target.host())) {
            throw new OxyError(ExitCode.REFUSED, "--from-url names " + from.host() + ", but the new server (" + target.host()
                + ") connects to the old one by that address, which is itself", "Give --from-url an address the new server can reach; nothing was changed.");
        }
        return new Target(target.withoutPassword().toString(), toMajor);
    }

    /** B's database new or empty, and ours to create and rename: --method dump's check (ServerMove). */
    private void checkTargetDatabase(int fromMajor, int toMajor) {
        try {
            ServerMove.checkTarget(target, new Databases(target), fromMajor, toMajor);
        } catch (SQLException e) {
            throw target.unavailable(e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new OxyError(ExitCode.FAILED, "cannot check the new server's database: " + e.getMessage(), null, e);
        }
    }

    private static boolean isLoopback(String host) {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
    }

    /** wal_level=logical takes a restart, which only whoever runs the server can do: refused with the ways to set it. */
    private static void requireLogicalWal(PostgresUrl url, String which) {
        String level = LogicalReplication.walLevel(url);
        if ("logical".equals(level)) return;
        throw new OxyError(ExitCode.REFUSED, "wal_level is " + level + " on " + which + " (" + url.withoutPassword() + "); --method replicate needs logical, "
            + "and a server run elsewhere is not restarted from here",
            "As a superuser: ALTER SYSTEM SET wal_level = logical, then restart it; on a managed service set its parameter (RDS and Aurora: "
                + "rds.logical_replication = 1; Cloud SQL: cloudsql.logical_decoding = on; Azure: wal_level = logical) and reboot. Or use --method dump. "
                + "Nothing was changed.");
    }

    private static void requireMaySubscribe(PostgresUrl url, String which) {
        if (LogicalReplication.maySubscribe(url)) return;
        throw new OxyError(ExitCode.REFUSED, "role " + url.user() + " may not create a subscription on " + which,
            "Grant it pg_create_subscription (PostgreSQL 16+; superuser before), or use --method dump. Nothing was changed.");
    }

    /** The app's server: A until the swap, B (its database under its own name) after it. */
    @Override
    public PostgresUrl startOldServer() {
        return swapped() ? target : from;
    }

    private boolean swapped() {
        try {
            return UpgradeState.read(stateFile()).map(UpgradeState::swapped).orElse(false);
        } catch (IOException e) {
            throw new OxyError(ExitCode.FAILED, "cannot read " + stateFile() + ": " + e.getMessage(), null, e);
        }
    }

    @Override
    public Optional<PostgresUrl> runningOldServer(UpgradeState state) { return Optional.of(startOldServer()); }

    @Override
    public void stopOldServer(UpgradeState state) { throw new UnsupportedOperationException("an external server is not stopped here"); }

    @Override
    public DatabaseRuntime oldRuntime() {
        RuntimeOptions options = runtime.copy(RuntimeOptions.Kind.EXTERNAL, runtime.postgresPort);
        options.url = from.secret();
        return new ExternalRuntime(options);
    }

    @Override public int dataMajor() { return BackupMaker.serverMajor(from); }

    /** Not known for a server run elsewhere. */
    @Override public long freeBytes() { return -1; }

    /** fromImage says what A is; from and kept are A's URL; to and staging the new database on B; name and toImage B's URL. */
    @Override
    public UpgradeState newState(int fromMajor, Target target) {
        String newDatabase = ServerMove.newDatabaseName(this.target.database());
        return new UpgradeState("external", target.image(), "external server", from.withoutPassword().toString(), fromMajor, target.image(),
            newDatabase, target.major(), newDatabase, from.withoutPassword().toString(), null, 0, List.of(), null);
    }

    @Override
    public List<String> describeSteps(UpgradeState state) {
        boolean replacing = new Databases(target).exists(target.database());
        return List.of("new database " + state.to() + " on " + target.withoutPassword() + (replacing ? ", a copy of the empty " + target.database()
                + " (its owner and grants)" : "") + "; the subscription on it reaches the old server at " + address(from)
                + " with the old server's password, kept in the new server's catalog until the switch",
            "the new database renamed to " + target.database() + (replacing ? " (replacing the empty one)" : "") + " and its URL printed: point the app "
                + "at it; the old database stays read-only, and follows the new one (subscription " + LogicalReplication.BACK + ", holding the new "
                + "server's password in the old server's catalog) until --finalize or --rollback");
    }

    @Override
    public Supplier<List<String>> availableExtensions(Target target) {
        return () -> List.of(SingleValue.text(this.target.withDatabase("postgres"), "SELECT coalesce(string_agg(name, ','), '') FROM pg_available_extensions").split(","));
    }

    /** The new database takes B's default collation (or the empty database's it copies), not A's: said when they differ. */
    @Override
    public void warnOfCollationChange(PostgresUrl url, Target target) {
        String collation = SingleValue.text(url, "SELECT datcollate FROM pg_database WHERE datname = current_database()");
        Databases databases = new Databases(this.target);
        String template = databases.exists(this.target.database()) ? this.target.database() : "template1";
        String there = SingleValue.text(this.target.withDatabase("postgres"), "SELECT datcollate FROM pg_database WHERE datname = '"
            + template.replace("'", "''") + "'");
        if (!collation.equals(there)) {
            console.warn("The new database sorts text by collation " + there + ", the old one by " + collation + ": ORDER BY results may differ");
        }
    }

    @Override public int dumpMajor(UpgradeState state) { return state.toMajor(); }

    /**
     * The new database on B; its start creates it (a copy of B's empty database when there is one to replace).
     * After the switch's counts, a run killed once the rename was done finds it under B's database name.
     */
    @Override
    public DatabaseRuntime staging(UpgradeState state) {
        boolean renamed = state.did(UpgradeState.VERIFIED) && !new Databases(target).exists(state.to());
        return new NewDatabase(renamed ? target : target.withDatabase(state.to()));
    }

    @Override public boolean stagingStartsEmpty() { return true; }

    /** A new database on B as the staging server: made by start (new, so empty), dropped by removeStaging. */
    private final class NewDatabase implements DatabaseRuntime {
        private final PostgresUrl url;

        NewDatabase(PostgresUrl url) { this.url = url; }

        @Override public String name() { return "external"; }

        @Override public PostgresUrl url() { return url; }

        @Override
        public boolean start(Console console, Duration timeout) {
            Databases databases = new Databases(target);
            if (databases.exists(url.database())) return false;
            try {
                ServerMove.createLoading(databases, url.database(), target.database(), databases.exists(target.database()));
            } catch (SQLException e) {
                throw target.unavailable(e);
            }
            console.ok("New database " + url.database() + " on " + target.withoutPassword());
            return true;
        }

        @Override public boolean stop(Console console) { return false; }

        @Override public void stopNow() {}

        @Override public Report report() { return new Report(true, java.util.Map.of(), List.of(), java.util.Map.of()); }

        @Override public boolean isLocal() { return false; }

        @Override public boolean serverExists() { return true; }
    }

    /** The rename is the switch for the app: from it on, B's database name holds the moved data; the URL to use is printed. */
    @Override
    public void swap(UpgradeState state, Downtime downtime) {
        Databases databases = new Databases(target);
        if (databases.exists(state.to())) {
            try {
                ServerMove.renameInto(databases, state.to(), target.database(), databases.exists(target.database()));
            } catch (SQLException e) {
                throw target.unavailable(e);
            }
        }
        downtime.stepDone("renamed to " + target.database());
        console.ok("The app's database is now " + target.withoutPassword() + " (PostgreSQL " + state.toMajor() + "): set OXY_DATABASE_URL to it, with its password");
    }

    /** The new database with its subscription (dropped first: PostgreSQL refuses to drop a database that has one) and any slot in it. */
    @Override
    public void removeStaging(UpgradeState state) {
        Databases databases = new Databases(target);
        if (!databases.exists(state.to())) return;
        PostgresUrl newDatabase = target.withDatabase(state.to());
        try {
            LogicalReplication.dropSubscription(newDatabase);
            LogicalReplication.removeWayBack(newDatabase, List.of());
            databases.drop(state.to());
        } catch (SQLException e) {
            throw target.unavailable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OxyError(ExitCode.FAILED, "interrupted while removing " + state.to(), null, e);
        }
    }

    /**
     * The app goes back to A. Before the rename the new database never served the app: dropped. After it, B's
     * database is someone's now: kept as it was at the rollback, read-only, without the way back's slot and publication.
     */
    @Override
    public void rollBack(UpgradeState state) throws IOException {
        if (!state.swapped() && new Databases(target).exists(state.to())) {
            removeStaging(state);
            return;
        }
        try {
            LogicalReplication.refuseWrites(target);
            List<String> removed = LogicalReplication.removeWayBack(target, state.replication().replicaIdentityFull());
            if (!removed.isEmpty()) console.ok("Removed from the new server: " + String.join(", ", removed));
        } catch (SQLException e) {
            throw target.unavailable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OxyError(ExitCode.FAILED, "interrupted while rolling back", null, e);
        }
        console.info("Database " + target.database() + " on " + target.withoutPassword() + " is kept as it was at the rollback, read-only "
            + "(drop it before moving again)");
    }

    /** A is someone's server: nothing of it is removed. Its database stays read-only, so the app cannot write to both. */
    @Override
    public void removeOld(UpgradeState state) {
        console.info("The old database " + from.withoutPassword() + " is kept, read-only (ALTER DATABASE " + Databases.quote(from.database())
            + " RESET default_transaction_read_only undoes it; drop it when it is no longer needed)");
    }

    @Override public boolean finalizeDeletesOldData() { return false; }

    @Override public String describeNewStorage(UpgradeState state) { return "the new database " + state.to() + " on " + target.withoutPassword(); }

    @Override public boolean canReplicate() { return true; }

    /** B reaches A at the address of A's URL (with its sslmode), and A's password travels in the subscription's connection string. */
    @Override
    public String replicationSource() { return address(from); }

    @Override
    public String newServerAddress(UpgradeState state) { return address(target); }

    /** A runs as it did: nothing to start, it is the old server beside the new one. */
    @Override
    public PostgresUrl startKeptServer(UpgradeState state) { return from; }

    @Override
    public Optional<PostgresUrl> runningKeptServer(UpgradeState state) { return Optional.of(from); }

    private static String address(PostgresUrl url) {
        return "host=" + url.host() + " port=" + url.port() + url.sslMode().map(mode -> " sslmode=" + mode).orElse("");
    }

    /** libpq's order, as the driver follows it for our own sessions: the URL's password, PGPASSWORD, then ~/.pgpass. */
    private static PostgresUrl withPassword(PostgresUrl url) {
        if (url.hasPassword()) return url;
        String password = PgPassParser.getPassword(url.host(), String.valueOf(url.port()), url.database(), url.user());
        return password == null ? url : url.withPassword(password);
    }
}
