import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Embedded: the old data directory is read by the old major's own server binaries (from this host: the
 * embedded runtime ships PostgreSQL 18 only), restored (or, with --method replicate, replicated over
 * localhost) into <dir>-18, then the directories swap names; the old one is kept as <dir>-pg<old>.
 */
public final class EmbeddedInstallation implements Installation {
    private final EmbeddedRuntime embedded;
    private final Path dataDir;
    private final RuntimeOptions runtime;
    private final Path fromBinaries;
    private final Console console;

    /** fromBinaries: --from-binaries, the old major's bin/; null to look in the usual install places. */
    public EmbeddedInstallation(EmbeddedRuntime embedded, RuntimeOptions runtime, Path fromBinaries, Console console) {
        this.embedded = embedded;
        this.dataDir = embedded.dataDir();
        this.runtime = runtime;
        this.fromBinaries = fromBinaries;
        this.console = console;
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
        if (dataMajor >= EmbeddedRuntime.MAJOR && swapped()) { // after the swap the usual directory is the new server's
            embedded.start(console, Duration.ofSeconds(120));
            return embedded.url();
        }
        if (dataMajor >= EmbeddedRuntime.MAJOR) {
            throw new OxyError(ExitCode.REFUSED, "the embedded data in " + dataDir + " is PostgreSQL " + dataMajor + " already", "Nothing to do.");
        }
        int port = HostPorts.nextFree(runtime.postgresPort).orElseThrow(() -> new OxyError(ExitCode.PORT_IN_USE, "no free port", null));
        startOldCluster(oldBinaries(dataMajor), dataMajor, port);
        Readiness.waitUntilReady(embedded.url(), Duration.ofSeconds(60), () -> {});
        return embedded.url();
    }

    private boolean swapped() {
        try {
            return UpgradeState.read(stateFile()).map(UpgradeState::swapped).orElse(false);
        } catch (IOException unreadable) {
            return false;
        }
    }

    /** The old data directory served by the old major's binaries, as the embedded runtime would serve it. */
    private void startOldCluster(Path bin, int major, int port) { startCluster(bin, major, dataDir, port); }

    private void startCluster(Path bin, int major, Path directory, int port) {
        console.step("Starting PostgreSQL " + major + " from " + bin + " on " + directory + " (port " + port + ")");
        pgCtl(bin, "-D", directory.toString(), "-l", dataDir.resolveSibling("upgrade-old-server.log").toString(),
            "-o", "-p " + port + " -c listen_addresses=localhost -c unix_socket_directories=''", "-w", "-t", "120", "start");
    }

    /** The server of the old major on a directory, stopped by its own pg_ctl if it runs (a clean shutdown). */
    private void stopCluster(Path bin, Path directory) {
        if (!server(directory, 0).isRunning()) return;
        pgCtl(bin, "-D", directory.toString(), "-m", "fast", "-w", "-t", "60", "stop");
    }

    /** A server on a directory as EmbeddedRuntime sees it: whether it runs, and its URL from postmaster.pid (never started through it). */
    private EmbeddedRuntime server(Path directory, int port) { return new EmbeddedRuntime(optionsOnPort(port), directory); }

    @Override public boolean canReplicate() { return true; }

    /** The old server as the staging server reaches it: both listen on this host's localhost. */
    @Override
    public String replicationSource() { return "host=localhost port=" + embedded.url().port(); }

    /** After the swap the new server runs on the usual directory and port. */
    @Override
    public String newServerAddress(UpgradeState state) { return "host=localhost port=" + embedded.url().port(); }

    /** wal_level=logical takes a restart: the old server stopped and started by its own binaries, on the port it had. */
    @Override
    public PostgresUrl restartOldServer() {
        int major = dataMajor();
        Path bin = oldBinaries(major);
        int port = embedded.url().port();
        pgCtl(bin, "-D", dataDir.toString(), "-m", "fast", "-w", "-t", "60", "stop");
        startOldCluster(bin, major, port);
        Readiness.waitUntilReady(embedded.url(), Duration.ofSeconds(60), () -> {});
        return embedded.url();
    }

    @Override
    public Optional<PostgresUrl> runningKeptServer(UpgradeState state) {
        EmbeddedRuntime kept = server(Path.of(state.kept()), 0);
        return kept.isRunning() ? Optional.of(kept.url()) : Optional.empty();
    }

    /** The old directory served beside the new server (the way back), by the old binaries on a free port; its URL once it answers. */
    @Override
    public PostgresUrl startKeptServer(UpgradeState state) {
        Path kept = Path.of(state.kept());
        if (!server(kept, 0).isRunning()) {
            int port = HostPorts.nextFree(runtime.postgresPort + 1)
                .orElseThrow(() -> new OxyError(ExitCode.PORT_IN_USE, "no free port for the old server beside the new one", null));
            startCluster(Path.of(state.fromImage()), state.fromMajor(), kept, port);
        }
        PostgresUrl url = server(kept, 0).url();
        Readiness.waitUntilReady(url, Duration.ofSeconds(60), () -> {});
        return url;
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
            dataDir + "-pg" + fromMajor, null, 0, List.of(), null);
    }

    @Override
    public String describeNewStorage(UpgradeState state) { return "the new server's data directory " + state.to(); }

    @Override
    public List<String> describeSteps(UpgradeState state) {
        return List.of("new data directory " + state.to() + " with " + state.toImage() + " on a free port (the old directory is never touched)",
            "swap: keep the old directory as " + state.kept() + ", start " + state.toImage() + " on " + dataDir
                + " and port " + runtime.postgresPort);
    }

    @Override
    public Supplier<List<String>> availableExtensions(Target target) {
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
    public void swap(UpgradeState state, Downtime downtime) {
        Path next = Path.of(state.to());
        Path kept = Path.of(state.kept());
        // both servers stop at once (--method replicate: the old one still runs; dump stopped it after the final backup)
        CompletableFuture<Void> stagingGone = CompletableFuture.runAsync(() -> {
            if (Files.exists(next)) server(next, runtime.postgresPort).stop(console);
        });
        if (!Files.exists(kept)) stopCluster(Path.of(state.fromImage()), dataDir);
        Cli.join(stagingGone);
        downtime.stepDone("both servers stopped");
        try {
            if (!Files.exists(kept)) Files.move(dataDir, kept, StandardCopyOption.ATOMIC_MOVE);
            if (Files.exists(next)) Files.move(next, dataDir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new OxyError(ExitCode.FAILED, "cannot swap the data directories: " + e.getMessage(), "Run the upgrade again to finish, or --rollback.", e);
        }
        new EmbeddedRuntime(runtime).start(console, Duration.ofSeconds(120));
        downtime.stepDone("new server started");
    }

    @Override
    public void removeStaging(UpgradeState state) {
        Path next = Path.of(state.to());
        if (!Files.exists(next)) return;
        new EmbeddedRuntime(optionsOnPort(runtime.postgresPort), next).stop(console);
        try {
            DurableFiles.deleteRecursively(next);
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
        stopCluster(Path.of(state.fromImage()), kept); // the way back ran it beside the new server
        if (Files.exists(kept)) {
            // the new server took the directory: it goes, the old one gets its place back
            if (Files.exists(dataDir)) {
                embedded.stop(console);
                DurableFiles.deleteRecursively(dataDir);
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
        stopCluster(Path.of(state.fromImage()), Path.of(state.kept())); // the way back ran it beside the new server
        DurableFiles.deleteRecursively(Path.of(state.kept()));
    }

    private RuntimeOptions optionsOnPort(int port) {
        return runtime.copy(RuntimeOptions.Kind.EMBEDDED, port);
    }
}
