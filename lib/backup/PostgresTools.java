import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Volume;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntSupplier;

/**
 * PostgreSQL's client tools (pg_dump, pg_restore, psql) of a major at least the server's, so a dump never
 * meets "server version mismatch": in the docker runtime, the server's own container when no files are
 * shared (a streamed dump), else a throwaway container of the server's own image sharing its network;
 * elsewhere the host's own when new enough, else a throwaway container of the server's major, else a
 * clear error naming what to install.
 * Tools read and write files under the directories given, which a container sees at the same paths.
 */
public final class PostgresTools implements AutoCloseable {
    static final String TOOLS_LABEL = "dev.oxy.ops.tools";
    private static final Duration NO_LIMIT = Duration.ofDays(7);

    private final int major;
    private String version;
    private final String where;
    private final Path hostBin;            // host tools, or null
    private final DockerClient docker;     // container tools, or null
    private final String containerId;
    private boolean serverContainer;       // the database server's own container: never stopped by us
    private final String containerHost;    // how the container reaches the server: host/port as seen from inside
    private final int containerPort;
    private Thread cleanup;

    private PostgresTools(int major, String version, String where, Path hostBin, DockerClient docker,
                          String containerId, String containerHost, int containerPort) {
        this.major = major;
        this.version = version;
        this.where = where;
        this.hostBin = hostBin;
        this.docker = docker;
        this.containerId = containerId;
        this.containerHost = containerHost;
        this.containerPort = containerPort;
    }

    public int major() { return major; }

    /** "18.6", as pg_dump --version says. */
    public String version() { return version; }

    /** For messages: "pg_dump 18.6 on this host (/usr/lib/postgresql/18/bin)" or "... in a postgres:18-alpine container". */
    public String describe() { return "pg_dump " + version + " " + where; }

    /**
     * Finds tools of at least minimumMajor for the server behind url, able to read and write files under
     * directories. Host tools of the lowest suitable major win: their output suits the server best.
     */
    public static PostgresTools find(int minimumMajor, DatabaseRuntime runtime, List<Path> directories, Console console) {
        return find(() -> minimumMajor, runtime, directories, console);
    }

    /**
     * As above, while the major is still being worked out (BackupMaker asks the server meanwhile): in the docker
     * runtime the container of the server's own image starts first, and is replaced when another major is needed.
     * No directories: the tools only stream (stdin/stdout), so in the docker runtime the server's own container
     * serves when its major fits, with nothing to start.
     */
    public static PostgresTools find(IntSupplier minimumMajor, DatabaseRuntime runtime, List<Path> directories, Console console) {
        // the docker runtime's own image has the server's exact tools, and is already here
        Optional<InspectContainerResponse> server = runtime.runningContainer();
        if (server.isPresent() && directories.isEmpty() && imageMajor(server.get()) > 0 && imageMajor(server.get()) == minimumMajor.getAsInt()) {
            return inServerContainer(server.get(), runtime.dockerEngine().orElseThrow());
        }
        if (server.isPresent()) return serverImageTools(minimumMajor, server.get(), runtime.dockerEngine().orElseThrow(), directories, console);
        int major = minimumMajor.getAsInt();
        Optional<PostgresTools> host = hostTools(major);
        if (host.isPresent()) return host.get();
        DockerEngine engine = DockerEngine.tryConnect().orElse(null);
        if (engine == null) throw missing(major);
        return containerTools(major, Optional.empty(), engine, directories, console);
    }

    private static PostgresTools serverImageTools(IntSupplier minimumMajor, InspectContainerResponse server, DockerEngine engine,
                                                  List<Path> directories, Console console) {
        int imageMajor = imageMajor(server);
        PostgresTools started = imageMajor < 0 ? null
            : startContainer(server.getConfig().getImage(), imageMajor, Optional.of(server), engine, directories, console);
        int major;
        try {
            major = minimumMajor.getAsInt();
        } catch (RuntimeException e) {
            if (started != null) started.close();
            throw e;
        }
        if (started != null && started.major == major) return started;
        if (started != null) started.close(); // e.g. upgrade's final backup, dumped with the new major's tools
        return containerTools(major, Optional.of(server), engine, directories, console);
    }

    /** The major an image's tag names ("postgres:18-alpine": 18), or -1. */
    private static int imageMajor(InspectContainerResponse container) {
        return DatabaseRuntime.majorOf(container.getConfig().getImage().replaceAll("^.*:", ""));
    }

    private static OxyError missing(int major) {
        String found = hostCandidates().stream().map(c -> "pg_dump " + c.version() + " in " + c.bin()).findFirst()
            .map(text -> "only " + text + " here").orElse("no pg_dump here");
        return new OxyError(ExitCode.TOOLS_MISSING,
            "need pg_dump " + major + " or newer for PostgreSQL " + major + ", but there is " + found + " and Docker is not available",
            "Install the PostgreSQL " + major + " client tools (Debian/Ubuntu: apt install postgresql-client-" + major
                + "; macOS: brew install postgresql@" + major + ") or start Docker.");
    }

    /** Runs pg_dump, pg_restore or psql (target: the database, or null); output is stdout and stderr together. */
    public Processes.Result run(String tool, List<String> arguments, PostgresUrl target) {
        List<String> command = new ArrayList<>();
        command.add(hostBin != null ? hostBin.resolve(tool).toString() : tool);
        command.addAll(arguments);
        return launch(command, target);
    }

    /** Runs a POSIX sh script ($1... are the arguments) with these tools first on PATH: for pipelines of them. */
    public Processes.Result runShell(String script, List<String> arguments, PostgresUrl target) {
        List<String> command = new ArrayList<>(List.of("sh", "-c", script, "sh"));
        command.addAll(arguments);
        return launch(command, target);
    }

    /**
     * runShell, with the script's stdout as data: it goes into data as it comes (a dump on its way to an
     * upload); the Result's output is stderr. When data refuses a write, the script is stopped and that
     * IOException is thrown.
     */
    public Processes.Result runShellStreaming(String script, List<String> arguments, PostgresUrl target, java.io.OutputStream data) throws IOException {
        List<String> command = new ArrayList<>(List.of("sh", "-c", script, "sh"));
        command.addAll(arguments);
        try {
            if (hostBin == null) return exec(command, target, data);
            return Processes.runStreaming(command, hostEnvironment(target), data);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OxyError(ExitCode.INTERRUPTED, "sh was interrupted", null, e);
        }
    }

    private Processes.Result launch(List<String> command, PostgresUrl target) {
        try {
            if (hostBin == null) return exec(command, target, null);
            return Processes.run(command, hostEnvironment(target), NO_LIMIT);
        } catch (IOException e) {
            throw new OxyError(ExitCode.FAILED, "could not run " + command.get(0) + ": " + e.getMessage(), null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OxyError(ExitCode.INTERRUPTED, command.get(0) + " was interrupted", null, e);
        }
    }

    private Map<String, String> hostEnvironment(PostgresUrl target) {
        Map<String, String> environment = libpqEnvironment(target, target == null ? null : target.host(), target == null ? 0 : target.port());
        environment.put("PATH", hostBin + java.io.File.pathSeparator + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        return environment;
    }

    /** The connection in libpq's variables, password included: never in a process argument. */
    static Map<String, String> libpqEnvironment(PostgresUrl target, String host, int port) {
        Map<String, String> environment = new LinkedHashMap<>();
        if (target == null) return environment;
        environment.put("PGHOST", host);
        environment.put("PGPORT", String.valueOf(port));
        environment.put("PGUSER", target.user());
        environment.put("PGDATABASE", target.database());
        environment.put("PGAPPNAME", "oxy-ops");
        environment.put("PGCONNECT_TIMEOUT", "10");
        if (target.password() != null) environment.put("PGPASSWORD", target.password());
        target.sslMode().ifPresent(mode -> environment.put("PGSSLMODE", mode));
        return environment;
    }

    // --- host tools ---

    record HostCandidate(Path bin, int major, String version) {}

    private static Optional<PostgresTools> hostTools(int minimumMajor) {
        return hostCandidates().stream()
            .filter(c -> c.major() >= minimumMajor && Files.isExecutable(c.bin().resolve("pg_restore")) && Files.isExecutable(c.bin().resolve("psql")))
            .min(Comparator.comparingInt(HostCandidate::major))
            .map(c -> new PostgresTools(c.major(), c.version(), "on this host (" + c.bin() + ")", c.bin(), null, null, null, 0));
    }

    /** pg_dump on PATH and in the usual install places (Debian, RHEL, Homebrew, Postgres.app), newest first. */
    static List<HostCandidate> hostCandidates() {
        List<Path> bins = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "pg_dump"))) bins.add(Path.of(dir));
            }
        }
        for (String pattern : List.of("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/opt/homebrew/opt/postgresql@*/bin",
                "/usr/local/opt/postgresql@*/bin", "/Applications/Postgres.app/Contents/Versions/*/bin")) {
            bins.addAll(glob(pattern));
        }
        List<HostCandidate> found = new ArrayList<>();
        for (Path bin : bins.stream().distinct().toList()) {
            toolVersion(bin).ifPresent(version -> found.add(new HostCandidate(bin, DatabaseRuntime.majorOf(version), version)));
        }
        found.sort(Comparator.comparingInt(HostCandidate::major).reversed());
        return found;
    }

    private static List<Path> glob(String pattern) {
        int star = pattern.indexOf('*');
        Path parent = Path.of(pattern.substring(0, pattern.lastIndexOf('/', star)));
        String nameGlob = pattern.substring(pattern.lastIndexOf('/', star) + 1, pattern.indexOf('/', star));
        String rest = pattern.substring(pattern.indexOf('/', star) + 1);
        List<Path> matches = new ArrayList<>();
        if (!Files.isDirectory(parent)) return matches;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(parent, nameGlob)) {
            for (Path entry : entries) {
                Path bin = entry.resolve(rest);
                if (Files.isExecutable(bin.resolve("pg_dump"))) matches.add(bin);
            }
        } catch (IOException ignored) {
            // an unreadable install dir is no candidate
        }
        return matches;
    }

    private static Optional<String> toolVersion(Path bin) {
        try {
            Processes.Result result = Processes.run(List.of(bin.resolve("pg_dump").toString(), "--version"), Map.of(), Duration.ofSeconds(10));
            return result.ok() ? versionIn(result.output()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** "pg_dump (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)" -> "15.14" */
    private static Optional<String> versionIn(String versionOutput) {
        java.util.regex.Matcher version = java.util.regex.Pattern.compile("\\) (\\d+(?:\\.\\d+)?)").matcher(versionOutput);
        return version.find() ? Optional.of(version.group(1)) : Optional.empty();
    }

    // --- container tools ---

    /** server: the docker runtime's running container, whose network the tools join; else the host network. */
    private static PostgresTools containerTools(int minimumMajor, Optional<InspectContainerResponse> server, DockerEngine engine,
                                                List<Path> directories, Console console) {
        String image = server.isPresent() && imageMajor(server.get()) == minimumMajor ? server.get().getConfig().getImage()
            : "postgres:" + minimumMajor + "-alpine";
        return startContainer(image, minimumMajor, server, engine, directories, console);
    }

    /** pg_dump of the server's own container, run by docker exec; it reaches the server at localhost:5432 inside. */
    private static PostgresTools inServerContainer(InspectContainerResponse server, DockerEngine engine) {
        int major = imageMajor(server);
        PostgresTools tools = new PostgresTools(major, String.valueOf(major), "in the " + server.getName().replaceFirst("^/", "") + " container",
            null, engine.client(), server.getId(), "127.0.0.1", 5432);
        tools.serverContainer = true;
        tools.version = versionInEnvironment(server.getConfig().getEnv())
            .or(() -> versionIn(tools.run("pg_dump", List.of("--version"), null).output())).orElse(tools.version);
        return tools;
    }

    /** Official images say their version in PG_VERSION ("18.6-1.pgdg13+1": 18.6). */
    private static Optional<String> versionInEnvironment(String[] environment) {
        return java.util.Arrays.stream(environment == null ? new String[0] : environment).filter(e -> e.startsWith("PG_VERSION=")).findFirst()
            .map(e -> e.substring("PG_VERSION=".length()).split("[^0-9.]")[0]);
    }

    private static PostgresTools startContainer(String image, int major, Optional<InspectContainerResponse> server, DockerEngine engine,
                                                List<Path> directories, Console console) {
        DockerClient docker = engine.client();
        removeAbandonedToolContainers(docker);
        String network = "host";
        String host = null;
        int port = 0;
        if (server.isPresent()) {
            network = "container:" + server.get().getId(); // localhost:5432 inside the server's own network
            host = "127.0.0.1";
            port = 5432;
        }
        engine.ensureImage(image, console);
        List<Bind> binds = directories.stream().map(dir -> new Bind(dir.toString(), new Volume(dir.toString()))).toList();
        String id = docker.createContainerCmd(image)
            .withEntrypoint("sleep").withCmd("86400")
            .withUser(directories.isEmpty() ? "postgres" : ownerOf(directories.get(0))) // only streams: no file to own
            .withLabels(Map.of(TOOLS_LABEL, String.valueOf(ProcessHandle.current().pid())))
            .withHostConfig(HostConfig.newHostConfig().withNetworkMode(network).withBinds(binds).withAutoRemove(true))
            .exec().getId();
        docker.startContainerCmd(id).exec();
        PostgresTools tools = new PostgresTools(major, String.valueOf(major), "in a " + image + " container",
            null, docker, id, host, port);
        tools.cleanup = new Thread(tools::removeContainer, "remove-tools-container");
        Runtime.getRuntime().addShutdownHook(tools.cleanup); // Ctrl+C: the container and its pg_dump go too
        tools.version = versionInEnvironment(docker.inspectImageCmd(image).exec().getConfig().getEnv())
            .or(() -> versionIn(tools.run("pg_dump", List.of("--version"), null).output())).orElse(tools.version);
        return tools;
    }

    /** The uid:gid owning the backup directory: files the tools write belong to the user, not root. */
    private static String ownerOf(Path directory) {
        try {
            return Files.getAttribute(directory, "unix:uid") + ":" + Files.getAttribute(directory, "unix:gid");
        } catch (IOException | UnsupportedOperationException e) {
            return "0:0";
        }
    }

    /** Tool containers of runs killed with -9 (their pid is gone) are removed, with whatever they ran. */
    private static void removeAbandonedToolContainers(DockerClient docker) {
        for (Container container : docker.listContainersCmd().withShowAll(true).withLabelFilter(List.of(TOOLS_LABEL)).exec()) {
            String pid = container.getLabels().get(TOOLS_LABEL);
            boolean alive = pid != null && pid.matches("\\d+") && ProcessHandle.of(Long.parseLong(pid)).isPresent();
            if (!alive) {
                try {
                    docker.removeContainerCmd(container.getId()).withForce(true).withRemoveVolumes(true).exec(); // the image's anonymous volume too
                } catch (RuntimeException ignored) {
                    // removed meanwhile
                }
            }
        }
    }

    /** Runs the command in the tools container; data: where stdout goes (null: into the output with stderr). */
    private Processes.Result exec(List<String> command, PostgresUrl target, java.io.OutputStream data) throws InterruptedException, IOException {
        List<String> environment = target == null ? List.of() : libpqEnvironment(target,
            containerHost != null ? containerHost : target.host(), containerHost != null ? containerPort : target.port())
            .entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
        String execId = docker.execCreateCmd(containerId).withCmd(command.toArray(String[]::new)).withEnv(environment)
            .withAttachStdout(true).withAttachStderr(true).exec().getId();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        IOException[] dataRefused = new IOException[1];
        docker.execStartCmd(execId).exec(new ResultCallback.Adapter<Frame>() {
            @Override
            public void onNext(Frame frame) {
                if (data != null && frame.getStreamType() == com.github.dockerjava.api.model.StreamType.STDOUT) {
                    if (dataRefused[0] != null) return;
                    try {
                        data.write(frame.getPayload());
                    } catch (IOException e) {
                        dataRefused[0] = e;
                        stopReading(this); // stops the pipeline inside; nothing more is read
                    }
                    return;
                }
                synchronized (output) {
                    output.writeBytes(frame.getPayload());
                }
            }
        }).awaitCompletion();
        if (dataRefused[0] != null) throw dataRefused[0];
        Long exitCode = null;
        for (int attempt = 0; attempt < 50 && exitCode == null; attempt++) {
            var inspected = docker.inspectExecCmd(execId).exec();
            if (!Boolean.TRUE.equals(inspected.isRunning())) exitCode = inspected.getExitCodeLong();
            else Thread.sleep(100);
        }
        return new Processes.Result(exitCode == null ? 1 : exitCode.intValue(), output.toString(StandardCharsets.UTF_8));
    }

    /**
     * Our own container is killed with what runs in it; in the server's container, closing the stream leaves
     * the pipeline writing into a closed pipe, which ends it (SIGPIPE).
     */
    private void stopReading(ResultCallback.Adapter<Frame> stream) {
        if (!serverContainer) removeContainer();
        try {
            stream.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    /** Kills the container (and whatever runs in it); Docker removes it (auto-remove) without us waiting. */
    private void removeContainer() {
        try {
            docker.killContainerCmd(containerId).exec();
        } catch (RuntimeException ignored) {
            // already gone
        }
    }

    @Override
    public void close() {
        if (docker == null || serverContainer) return;
        removeContainer();
        if (cleanup != null) Cli.removeShutdownHook(cleanup);
    }
}
