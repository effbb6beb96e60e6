///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/*.java

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * upgrade (WORK IN PROGRESS, docker runtime only): move the database to a newer PostgreSQL major by dump
 * and restore into a new volume, keeping the old container and volume untouched until --finalize.
 * Every step is recorded in a state file, so a rerun resumes and --rollback always has a way back.
 */
@Command(name = "upgrade", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
    description = "Upgrade PostgreSQL to a newer major (docker runtime): new volume, old one kept until --finalize.",
    footer = {"", "Examples:", "  ./jbang oxy upgrade --to 18 --dry-run", "  ./jbang oxy upgrade --to 18",
        "  ./jbang oxy upgrade --rollback", "  ./jbang oxy upgrade --finalize"})
public class upgrade implements Callable<Integer> {

    @Mixin RuntimeOptions runtime;
    @Mixin BackupDirectoryOption store;

    @Option(names = "--to", paramLabel = "MAJOR|IMAGE", description = "Target major (18) or image (postgres:18-alpine).")
    String to;

    @Option(names = "--from-url", paramLabel = "URL", description = "External runtime: the server to move the database from.")
    String fromUrl;

    @Option(names = "--to-url", paramLabel = "URL", description = "External runtime: the (newer) server to move it to; its database must be new or empty.")
    String toUrl;

    @Option(names = "--dry-run", description = "Print the plan and the pre-checks; change nothing.")
    boolean dryRun;

    @Option(names = "--rollback", description = "Bring back the old container and volume exactly as they were.")
    boolean rollback;

    @Option(names = "--finalize", description = "Remove the old container and volume (asks first, or --yes).")
    boolean finalize;

    @Option(names = {"-y", "--yes"}, description = "Do not ask; end the app's sessions when it is still connected.")
    boolean yes;

    /** What an upgrade did so far; written after every step so a rerun knows where it is. */
    record UpgradeState(String container, String fromImage, String fromVolume, int fromMajor, String toImage, String toVolume,
                        int toMajor, String stagingContainer, String keptContainer, String backup, List<String> done) {
        UpgradeState with(String step) {
            List<String> steps = new ArrayList<>(done);
            steps.add(step);
            return new UpgradeState(container, fromImage, fromVolume, fromMajor, toImage, toVolume, toMajor, stagingContainer,
                keptContainer, backup, steps);
        }

        UpgradeState withBackup(String name) {
            return new UpgradeState(container, fromImage, fromVolume, fromMajor, toImage, toVolume, toMajor, stagingContainer,
                keptContainer, name, done);
        }

        boolean did(String step) { return done.contains(step); }
    }

    private Console console;

    public static void main(String... args) {
        Cli.run(new upgrade(), args);
    }

    @Override
    public Integer call() throws Exception {
        console = Console.standard();
        if (fromUrl != null || toUrl != null) return moveBetweenServers();
        DatabaseRuntime database = DatabaseRuntime.select(runtime);
        if (!(database instanceof DockerRuntime docker)) {
            throw new OxyError(ExitCode.USAGE, "upgrade works in the docker runtime for now (this is the " + database.name() + " runtime)",
                "Move a database between servers with backup and restore --to-db.");
        }
        Optional<UpgradeState> pending = readState();
        if (rollback) return rollBack(docker, pending.orElseThrow(() -> new OxyError(ExitCode.USAGE, "no upgrade to roll back", null)));
        if (finalize) return finalizeUpgrade(docker, pending.orElseThrow(() -> new OxyError(ExitCode.USAGE, "no upgrade to finalize", null)));
        if (to == null) throw new OxyError(ExitCode.USAGE, "say which major to upgrade to: --to 18 (or --to postgres:18-alpine)", null);
        UpgradeState state = pending.orElseGet(() -> plan(docker));
        if (pending.isPresent() && pending.get().did("swapped")) {
            throw new OxyError(ExitCode.REFUSED, "an upgrade to PostgreSQL " + pending.get().toMajor() + " is done but not finalized",
                "Check the app, then './jbang oxy upgrade --finalize' (removes the old volume) or '--rollback'.");
        }
        if (dryRun) return ExitCode.OK;
        return run(docker, state);
    }

    // --- external: from one server to another ---

    /** Dump from A with a pg_dump new enough for both, restore into B, verify, print B's URL. A is never changed. */
    private Integer moveBetweenServers() throws Exception {
        if (fromUrl == null || toUrl == null) throw new OxyError(ExitCode.USAGE, "--from-url and --to-url go together", null);
        PostgresUrl from = PostgresUrl.parse(fromUrl);
        PostgresUrl to = PostgresUrl.parse(toUrl);
        int fromMajor = BackupMaker.serverMajor(from);
        int toMajor = BackupMaker.serverMajor(to.withDatabase("postgres"));
        if (toMajor < fromMajor) {
            throw new OxyError(ExitCode.REFUSED, "the target runs PostgreSQL " + toMajor + ", older than the source's " + fromMajor,
                "Move to a server of the same or a newer major.");
        }
        Databases target = new Databases(to);
        if (target.exists(to.database())) {
            try (Connection connection = to.connect()) {
                if (!RowCounts.tables(connection).isEmpty()) {
                    throw new OxyError(ExitCode.REFUSED, "database " + to.database() + " on the target already has tables",
                        "Name a new or empty database in --to-url; nothing was changed.");
                }
            }
        }
        console.info("Plan: " + from + " (PostgreSQL " + fromMajor + ", " + Console.humanBytes(databaseSize(from)) + ") -> " + to
            + " (PostgreSQL " + toMajor + "): final backup with pg_dump " + toMajor + ", restore, row counts, migrations, ANALYZE");
        if (dryRun) return ExitCode.OK;
        checkNoAppConnected(from);
        endAppSessions(from);
        RuntimeOptions source = new RuntimeOptions();
        source.runtime = RuntimeOptions.Kind.EXTERNAL;
        source.url = fromUrl;
        source.stateDir = runtime.stateDir;
        source.postgresPort = runtime.postgresPort;
        DatabaseRuntime sourceRuntime = new ExternalRuntime(source);
        BackupStore backups = BackupStore.create(store.directory(runtime));
        BackupManifest made;
        try (AutoCloseable lock = backups.lock("upgrade")) {
            made = new BackupMaker(sourceRuntime, from, backups, console).make(BackupMaker.Settings.standard(), false, toMajor);
        }
        BackupArchive archive = BackupArchive.resolve(made.name(), backups);
        if (!target.exists(to.database())) target.create(to.database());
        try (PostgresTools tools = PostgresTools.find(toMajor, sourceRuntime, List.of(backups.directory()), console)) {
            archive.restoreInto(tools, to, 2, false, false);
        }
        verifyStaging(to, made);
        console.ok("Moved: " + to + " holds " + RowCounts.total(made.rowCounts()) + " rows; " + from + " is unchanged");
        console.info("Use the new server: OXY_DATABASE_URL='" + to + "' (with its password)");
        return ExitCode.OK;
    }

    // --- plan and pre-checks ---

    private UpgradeState plan(DockerRuntime docker) {
        InspectContainerResponse current = docker.container().orElseThrow(() -> new OxyError(ExitCode.DATABASE_UNAVAILABLE,
            "container " + runtime.container + " does not exist", "Nothing to upgrade; './jbang oxy start' creates it."));
        String fromImage = current.getConfig().getImage();
        String fromVolume = current.getMounts().stream().filter(m -> m.getName() != null).findFirst()
            .map(InspectContainerResponse.Mount::getName).orElse(runtime.volume);
        PostgresUrl url = docker.url();
        String serverVersion = BackupMaker.serverVersion(url);
        int fromMajor = DatabaseRuntime.majorOf(serverVersion);
        String toImage = to.matches("\\d+") ? "postgres:" + to + "-alpine" : to;
        docker.engine().ensureImage(toImage, console);
        // the image says its major (PG_MAJOR), whatever its tag looks like (pgvector/pgvector:pg18)
        int toMajor = new DockerRuntime(copyOf(runtime, runtime.container, runtime.volume, toImage, runtime.postgresPort), docker.engine())
            .imageLayout().major();
        if (toMajor <= fromMajor) {
            throw new OxyError(ExitCode.REFUSED, "PostgreSQL " + serverVersion + " is already at or past " + toMajor, "Nothing to do.");
        }
        long size = databaseSize(url);
        DockerRuntime.VolumeFacts volume = docker.volumeFacts();
        console.info("Plan: PostgreSQL " + serverVersion + " (data: PG_VERSION " + volume.dataMajor() + ", image " + fromImage
            + ", volume " + fromVolume + ") -> " + toImage);
        console.info("  database " + url.database() + ": " + Console.humanBytes(size) + "; free on the volume's disk: "
            + (volume.freeBytes() < 0 ? "unknown" : Console.humanBytes(volume.freeBytes())) + ", needed about " + Console.humanBytes(size * 2));
        console.info("  1. final verified backup with pg_dump " + toMajor);
        console.info("  2. new volume " + fromVolume + "-" + toMajor + " and a staging container on a free port (the old volume is never touched)");
        console.info("  3. restore, apply migrations/, ANALYZE, compare exact row counts");
        console.info("  4. swap: stop " + runtime.container + ", keep it as " + runtime.container + "-pg" + fromMajor
            + ", start " + runtime.container + " from " + toImage + " on port " + url.port());
        console.info("  estimated downtime (writers stopped to new server ready): about "
            + Math.max(5, size / (40L << 20)) + " s at 40 MB/s");
        if (volume.freeBytes() >= 0 && volume.freeBytes() < size * 2) {
            throw new OxyError(ExitCode.REFUSED, "not enough free disk: " + Console.humanBytes(volume.freeBytes()) + " free, about "
                + Console.humanBytes(size * 2) + " needed (a backup and a new volume)", "Free space, then run again; nothing was changed.");
        }
        checkExtensionsAvailable(docker, url, toImage);
        checkNoAppConnected(url);
        return new UpgradeState(runtime.container, fromImage, fromVolume, fromMajor, toImage, fromVolume + "-" + toMajor, toMajor,
            runtime.container + "-upgrade-" + toMajor, runtime.container + "-pg" + fromMajor, null, List.of());
    }

    private static long databaseSize(PostgresUrl url) {
        try (Connection connection = url.connect(); Statement statement = connection.createStatement();
             ResultSet size = statement.executeQuery("SELECT pg_database_size(current_database())")) {
            size.next();
            return size.getLong(1);
        } catch (SQLException e) {
            throw url.unavailable(e);
        }
    }

    /** Every installed extension must exist in the target image, or the restore would fail halfway. */
    private void checkExtensionsAvailable(DockerRuntime docker, PostgresUrl url, String toImage) {
        List<String> installed = new ArrayList<>();
        try (Connection connection = url.connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1")) {
            while (rows.next()) installed.add(rows.getString(1));
        } catch (SQLException e) {
            throw url.unavailable(e);
        }
        if (installed.isEmpty()) return;
        docker.engine().ensureImage(toImage, console);
        List<String> available = docker.runInImage(toImage, "ls \"$(pg_config --sharedir)/extension\" | sed -n 's/\\.control$//p'");
        List<String> missing = installed.stream().filter(e -> !available.contains(e)).toList();
        if (!missing.isEmpty()) {
            throw new OxyError(ExitCode.REFUSED, toImage + " lacks the extension(s) " + String.join(", ", missing) + " this database uses",
                "Use an image that has them (for pgvector: pgvector/pgvector:pg" + DatabaseRuntime.majorOf(toImage.replaceAll("^.*:", ""))
                    + "), e.g. --to that-image; nothing was changed.");
        }
    }

    private void checkNoAppConnected(PostgresUrl url) {
        try (Connection connection = url.connect();
             PreparedStatement sessions = connection.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE datname = ? "
                 + "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")) {
            sessions.setString(1, url.database());
            try (ResultSet count = sessions.executeQuery()) {
                count.next();
                long connected = count.getLong(1);
                if (connected == 0) return;
                if (!yes) {
                    throw new OxyError(ExitCode.REFUSED, connected + " session(s) of the app are connected to " + url.database(),
                        "Stop the app first, or pass --yes to end its sessions when the upgrade starts; nothing was changed.");
                }
                console.warn(connected + " app session(s) connected: they are ended when the final backup starts (--yes)");
            }
        } catch (SQLException e) {
            throw url.unavailable(e);
        }
    }

    // --- the steps ---

    private Integer run(DockerRuntime docker, UpgradeState planned) throws Exception {
        UpgradeState state = planned;
        writeState(state);
        PostgresUrl url = docker.url();
        Instant writersStopped = Instant.now();
        BackupStore backups = BackupStore.create(store.directory(runtime));
        if (!state.did("backed-up")) {
            endAppSessions(url);
            try (AutoCloseable lock = backups.lock("upgrade")) {
                BackupManifest made = new BackupMaker(docker, url, backups, console)
                    .make(BackupMaker.Settings.standard(), false, state.toMajor());
                console.ok("Final backup " + made.name() + " (" + Console.humanBytes(made.bytes()) + ")");
                state = state.withBackup(made.name()).with("backed-up");
                writeState(state);
            }
        }
        RuntimeOptions staging = copyOf(runtime, state.stagingContainer(), state.toVolume(), state.toImage(), HostPorts.nextFree(runtime.postgresPort + 1)
            .orElseThrow(() -> new OxyError(ExitCode.PORT_IN_USE, "no free port for the staging server", null)));
        DockerRuntime next = new DockerRuntime(staging, docker.engine());
        if (!state.did("restored")) {
            next.start(console, Duration.ofSeconds(120));
            BackupArchive archive = BackupArchive.resolve(state.backup(), backups);
            try (PostgresTools tools = PostgresTools.find(state.toMajor(), next, List.of(backups.directory()), console)) {
                Databases databases = new Databases(next.url());
                databases.execute("DROP DATABASE IF EXISTS " + Databases.quote(runtime.database) + " WITH (FORCE)");
                databases.create(runtime.database);
                archive.restoreInto(tools, next.url(), 2, false, false);
            }
            state = state.with("restored");
            writeState(state);
        }
        if (!state.did("verified")) {
            verifyStaging(next.url(), BackupArchive.resolve(state.backup(), backups).manifest().orElseThrow());
            state = state.with("verified");
            writeState(state);
        }
        swap(docker, next, state);
        state = state.with("swapped");
        writeState(state);
        console.ok("Upgraded to " + state.toImage() + "; downtime " + Duration.between(writersStopped, Instant.now()).toSeconds()
            + " s. The old container is kept as " + state.keptContainer() + " with volume " + state.fromVolume());
        console.info("Check the app, then: ./jbang oxy upgrade --finalize   (or --rollback to go back)");
        return ExitCode.OK;
    }

    private void endAppSessions(PostgresUrl url) {
        try (Connection connection = url.connect();
             PreparedStatement terminate = connection.prepareStatement("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 + "WHERE datname = ? AND pid <> pg_backend_pid() AND backend_type = 'client backend'")) {
            terminate.setString(1, url.database());
            terminate.executeQuery().close();
        } catch (SQLException e) {
            throw url.unavailable(e);
        }
    }

    private void verifyStaging(PostgresUrl url, BackupManifest manifest) throws SQLException {
        try (Connection connection = url.connect()) {
            List<String> differences = RowCounts.differences(manifest.rowCounts(), RowCounts.exact(connection));
            if (!differences.isEmpty()) {
                throw new OxyError(ExitCode.VERIFICATION_FAILED, "row counts differ after the restore: " + differences.get(0),
                    "The old server is untouched and still in use; './jbang oxy upgrade --rollback' cleans up.", differences, null);
            }
            new SchemaMigrations(url).migrate();
            try (Statement statement = connection.createStatement()) {
                statement.execute("SET default_statistics_target = 10");
                statement.execute("ANALYZE");
            }
        }
        console.ok("Row counts match (" + RowCounts.total(manifest.rowCounts()) + " rows); migrations applied; analyzed");
    }

    /**
     * Old container stopped and renamed (its volume untouched); the new volume under the usual name and
     * port. Each part checks what is already done, so a rerun after a kill finishes it.
     */
    private void swap(DockerRuntime old, DockerRuntime staging, UpgradeState state) {
        DockerClient client = old.engine().client();
        if (exists(client, state.stagingContainer())) {
            staging.stop(console);
            client.removeContainerCmd(state.stagingContainer()).withRemoveVolumes(true).exec();
        }
        if (!exists(client, state.keptContainer())) {
            old.stop(console);
            client.renameContainerCmd(state.container()).withName(state.keptContainer()).exec();
        }
        int port = DockerRuntime.publishedPort(client.inspectContainerCmd(state.keptContainer()).exec()).orElse(runtime.postgresPort);
        RuntimeOptions swapped = copyOf(runtime, state.container(), state.toVolume(), state.toImage(), port);
        new DockerRuntime(swapped, old.engine()).start(console, Duration.ofSeconds(120));
    }

    /** Back to the old container and volume, from whatever step the upgrade reached. */
    private Integer rollBack(DockerRuntime docker, UpgradeState state) throws IOException {
        DockerClient client = docker.engine().client();
        removeIfExists(client, state.stagingContainer());
        if (exists(client, state.keptContainer())) {
            // the new server took the name: it goes, the old one gets its name back
            removeIfExists(client, state.container());
            client.renameContainerCmd(state.keptContainer()).withName(state.container()).exec();
        }
        docker.start(console, Duration.ofSeconds(120));
        try {
            client.removeVolumeCmd(state.toVolume()).exec();
        } catch (NotFoundException ignored) {
            // never created
        }
        Files.deleteIfExists(stateFile());
        console.ok("Rolled back: " + state.container() + " runs " + state.fromImage() + " on volume " + state.fromVolume() + " as before");
        return ExitCode.OK;
    }

    private static void removeIfExists(DockerClient client, String container) {
        try {
            client.removeContainerCmd(container).withForce(true).withRemoveVolumes(true).exec();
        } catch (NotFoundException ignored) {
            // not there
        }
    }

    private Integer finalizeUpgrade(DockerRuntime docker, UpgradeState state) throws IOException {
        if (!state.did("swapped")) throw new OxyError(ExitCode.REFUSED, "the upgrade has not swapped yet; nothing to finalize", "Run it again to resume, or --rollback.");
        if (!yes) {
            java.io.Console terminal = System.console();
            if (terminal == null) throw new OxyError(ExitCode.REFUSED, "finalize deletes volume " + state.fromVolume() + "; no terminal to confirm", "Pass --yes.");
            String typed = terminal.readLine("This deletes the old volume %s for good. Type its name to confirm: ", state.fromVolume());
            if (typed == null || !typed.strip().equals(state.fromVolume())) throw new OxyError(ExitCode.REFUSED, "not confirmed; nothing was removed", null);
        }
        DockerClient client = docker.engine().client();
        if (exists(client, state.keptContainer())) client.removeContainerCmd(state.keptContainer()).withForce(true).exec();
        client.removeVolumeCmd(state.fromVolume()).exec();
        Files.deleteIfExists(stateFile());
        console.ok("Finalized: removed " + state.keptContainer() + " and volume " + state.fromVolume());
        return ExitCode.OK;
    }

    private static boolean exists(DockerClient client, String container) {
        try {
            client.inspectContainerCmd(container).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    private static RuntimeOptions copyOf(RuntimeOptions options, String container, String volume, String image, int port) {
        RuntimeOptions copy = new RuntimeOptions();
        copy.runtime = RuntimeOptions.Kind.DOCKER;
        copy.container = container;
        copy.volume = volume;
        copy.image = image;
        copy.postgresPort = port;
        copy.database = options.database;
        copy.user = options.user;
        copy.stateDir = options.stateDir;
        return copy;
    }

    // --- state file ---

    private Path stateFile() { return runtime.stateDir.resolve("upgrade-" + runtime.container + ".json"); }

    private Optional<UpgradeState> readState() throws IOException {
        Path file = stateFile();
        if (!Files.exists(file)) return Optional.empty();
        return Optional.of(BackupManifest.json().readValue(file.toFile(), UpgradeState.class));
    }

    private void writeState(UpgradeState state) throws IOException {
        Files.createDirectories(runtime.stateDir);
        Path temporary = stateFile().resolveSibling(stateFile().getFileName() + ".tmp");
        Files.write(temporary, BackupManifest.json().writeValueAsBytes(state));
        Files.move(temporary, stateFile(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
