import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.Volume;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** PostgreSQL in a Docker container with a named volume, driven through the Docker Engine API. */
public final class DockerRuntime implements DatabaseRuntime {
    static final String MANAGED_LABEL = "dev.oxy.ops.managed";
    private static final ExposedPort POSTGRES_PORT = ExposedPort.tcp(5432);

    private final RuntimeOptions options;
    private final DockerEngine engine;
    private final DataLayout knownLayout; // of a container made on this volume before: no probe needed (null: probe)

    public DockerRuntime(RuntimeOptions options, DockerEngine engine) {
        this(options, engine, null);
    }

    private DockerRuntime(RuntimeOptions options, DockerEngine engine, DataLayout knownLayout) {
        this.options = options;
        this.engine = engine;
        this.knownLayout = knownLayout;
    }

    /**
     * This server, to be created on its volume where the given container (upgrade's staging server) keeps its
     * data: the same mount and PGDATA, so creating it needs no probe of the volume (a second inside the downtime).
     */
    public DockerRuntime withDataLayoutOf(InspectContainerResponse model) {
        String mount = model.getMounts() == null ? null : model.getMounts().stream().filter(m -> options.volume.equals(m.getName()))
            .map(m -> m.getDestination() == null ? null : m.getDestination().getPath()).findFirst().orElse(null);
        String[] env = model.getConfig() == null || model.getConfig().getEnv() == null ? new String[0] : model.getConfig().getEnv();
        String pgdata = Arrays.stream(env).filter(e -> e.startsWith("PGDATA=")).map(e -> e.substring("PGDATA=".length())).findFirst().orElse(null);
        return mount == null || pgdata == null ? this : new DockerRuntime(options, engine, new DataLayout(mount, pgdata));
    }

    private DockerClient docker() { return engine.client(); }

    @Override public String name() { return "docker"; }


    public DockerEngine engine() { return engine; }

    public Optional<InspectContainerResponse> container() {
        try {
            return Optional.of(docker().inspectContainerCmd(options.container).exec());
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    @Override public boolean isLocal() { return true; }

    @Override public boolean serverExists() { return container().isPresent(); }

    @Override public Optional<DockerEngine> dockerEngine() { return Optional.of(engine); }

    @Override
    public Optional<InspectContainerResponse> runningContainer() {
        return container().filter(DockerRuntime::isRunning);
    }

    @Override
    public boolean start(Console console, Duration timeout) {
        console.ok("Docker is available (" + engine.version() + " at " + engine.host() + ")");
        Optional<InspectContainerResponse> existing = container();
        boolean started;
        if (existing.isPresent() && isRunning(existing.get())) {
            console.ok("Using running container " + options.container);
            noteImageDifference(console, existing.get());
            started = false;
        } else if (existing.isPresent()) {
            console.step("Starting existing container " + options.container);
            noteImageDifference(console, existing.get());
            requirePortFree(publishedPort(existing.get()).orElse(options.postgresPort));
            docker().startContainerCmd(options.container).exec();
            started = true;
        } else {
            createContainer(console);
            started = true;
        }
        Readiness.awaitLocal(console, url(), timeout, this::failIfContainerStopped);
        return started;
    }

    /** The URL with the port the container really publishes (an existing container keeps its own). */
    @Override
    public PostgresUrl url() {
        int port = seen().flatMap(Seen::port).orElse(options.postgresPort);
        return PostgresUrl.local(port, options.user, options.password(), options.database);
    }

    private void createContainer(Console console) {
        engine.ensureImage(options.image, console);
        DataLayout data = knownLayout != null ? knownLayout : dataLayout(imageLayout());
        requirePortFree(options.postgresPort);
        console.step("Creating container " + options.container + " (" + options.image + ", volume " + options.volume
            + ", port " + options.postgresPort + ")");
        HostConfig host = HostConfig.newHostConfig()
            .withPortBindings(new PortBinding(Ports.Binding.bindIpAndPort("127.0.0.1", options.postgresPort), POSTGRES_PORT))
            .withBinds(new Bind(options.volume, new Volume(data.mountPath())));
        try {
            docker().createContainerCmd(options.image)
                .withName(options.container)
                .withEnv("POSTGRES_USER=" + options.user, "POSTGRES_PASSWORD=" + options.password(),
                    "POSTGRES_DB=" + options.database, "PGDATA=" + data.pgdata())
                .withExposedPorts(POSTGRES_PORT)
                .withLabels(Map.of(MANAGED_LABEL, "true"))
                .withHostConfig(host)
                .exec();
            docker().startContainerCmd(options.container).exec();
        } catch (DockerException e) {
            if (String.valueOf(e.getMessage()).contains("port is already allocated")) throw portInUse(options.postgresPort);
            throw new OxyError(ExitCode.FAILED, "Docker could not create the container " + options.container + ": "
                + Cli.describe(e).strip(), null, e);
        }
    }

    /** The image's PostgreSQL major and where it keeps data, from its own metadata (PG_MAJOR, PGDATA, VOLUME). */
    record ImageLayout(int major, String volumePath) {}

    ImageLayout imageLayout() {
        InspectImageResponse image = docker().inspectImageCmd(options.image).exec();
        String[] env = image.getConfig() == null || image.getConfig().getEnv() == null ? new String[0] : image.getConfig().getEnv();
        int major = Arrays.stream(env).filter(e -> e.startsWith("PG_MAJOR=")).findFirst()
            .map(e -> DatabaseRuntime.majorOf(e.substring("PG_MAJOR=".length())))
            .orElseGet(() -> DatabaseRuntime.majorOf(options.image.replaceAll("^.*:", "")));
        if (major < 0) {
            throw new OxyError(ExitCode.USAGE, "cannot tell which PostgreSQL major the image " + options.image + " runs",
                "Use an official postgres image (postgres:18-alpine) or one that sets PG_MAJOR.");
        }
        String volumePath = major >= 18 ? "/var/lib/postgresql" : "/var/lib/postgresql/data";
        return new ImageLayout(major, volumePath);
    }

    /** Where the volume is mounted and where PGDATA points inside it. */
    record DataLayout(String mountPath, String pgdata) {}

    /**
     * Looks inside an existing volume before a container is created over it: data of another major, or
     * anything unrecognised, is refused rather than initialised over.
     */
    DataLayout dataLayout(ImageLayout image) {
        String freshPgdata = image.major() >= 18 ? "/var/lib/postgresql/" + image.major() + "/docker" : "/var/lib/postgresql/data";
        if (!volumeExists()) return new DataLayout(image.volumePath(), freshPgdata);
        List<String> probe = probeVolume();
        for (String line : probe) {
            if (!line.startsWith("found ")) continue;
            String[] parts = line.split(" ");
            String file = parts[1];
            int major = DatabaseRuntime.majorOf(parts.length > 2 ? parts[2] : "");
            if (major != image.major()) throw otherMajor(major, image.major());
            if (file.equals("PG_VERSION")) return new DataLayout("/var/lib/postgresql/data", "/var/lib/postgresql/data");
            String dir = file.substring(0, file.length() - "/PG_VERSION".length());
            return new DataLayout("/var/lib/postgresql", "/var/lib/postgresql/" + dir);
        }
        boolean empty = probe.stream().anyMatch(line -> line.equals("entries 0"));
        if (!empty) {
            throw new OxyError(ExitCode.DATA_NEEDS_ATTENTION,
                "the volume " + options.volume + " holds files but no PostgreSQL data directory; not initialising over it",
                "Inspect it (docker run --rm -v " + options.volume + ":/v alpine ls -la /v), or use another --volume.");
        }
        return new DataLayout(image.volumePath(), freshPgdata);
    }

    private OxyError otherMajor(int dataMajor, int imageMajor) {
        if (dataMajor < imageMajor) {
            return new OxyError(ExitCode.DATA_NEEDS_ATTENTION,
                "the volume " + options.volume + " holds PostgreSQL " + dataMajor + " data, but " + options.image + " runs PostgreSQL " + imageMajor,
                "Upgrade it with './jbang oxy upgrade --to " + imageMajor + "' (the old volume is kept), or start the old major: --image postgres:" + dataMajor + "-alpine");
        }
        return new OxyError(ExitCode.DATA_NEEDS_ATTENTION,
            "the volume " + options.volume + " holds PostgreSQL " + dataMajor + " data, newer than " + options.image + " (PostgreSQL " + imageMajor + ")",
            "Start it with --image postgres:" + dataMajor + "-alpine; PostgreSQL cannot open data of a newer major.");
    }

    /** What upgrade's plan needs from the volume: the data's major (from PG_VERSION) and free bytes on its filesystem. */
    public record VolumeFacts(int dataMajor, long freeBytes) {}

    public VolumeFacts volumeFacts() {
        int major = -1;
        long free = -1;
        for (String line : probeVolume()) {
            String[] parts = line.split(" ");
            if (line.startsWith("found ") && parts.length > 2 && major < 0) major = DatabaseRuntime.majorOf(parts[2]);
            if (line.startsWith("free-kb ") && parts[1].matches("\\d+")) free = Long.parseLong(parts[1]) * 1024;
        }
        return new VolumeFacts(major, free);
    }

    private boolean volumeExists() { return engine.volumeExists(options.volume); }

    /** Runs a shell script in a throwaway container of an image; its output lines (upgrade's pre-checks). */
    public List<String> runInImage(String image, String script) {
        return runInImage(image, script, HostConfig.newHostConfig());
    }

    private List<String> runInImage(String image, String script, HostConfig host) {
        removeAbandonedProbes();
        String id = docker().createContainerCmd(image).withEntrypoint("sh").withCmd("-c", script).withUser("root")
            .withLabels(Map.of(MANAGED_LABEL, "probe", PROBE_PID_LABEL, String.valueOf(ProcessHandle.current().pid())))
            .withHostConfig(host).exec().getId();
        try {
            docker().startContainerCmd(id).exec();
            docker().waitContainerCmd(id).start().awaitStatusCode(60, TimeUnit.SECONDS);
            return logs(id, null);
        } finally {
            docker().removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
        }
    }

    /** The pid of the command that made a probe: a probe whose command is gone was left by a kill -9. */
    static final String PROBE_PID_LABEL = "dev.oxy.ops.probe-pid";

    /**
     * Probes a killed command left behind, in whatever state the kill found them (created, running, exited),
     * with the anonymous volume the image gave each. A volume such a probe still mounts cannot be removed.
     */
    public void removeAbandonedProbes() {
        for (var probe : docker().listContainersCmd().withShowAll(true).withLabelFilter(Map.of(MANAGED_LABEL, "probe")).exec()) {
            String pid = probe.getLabels().get(PROBE_PID_LABEL);
            boolean alive = pid != null && pid.matches("\\d+") && ProcessHandle.of(Long.parseLong(pid)).isPresent();
            if (alive || pid == null && !"exited".equals(probe.getState())) continue; // its command still runs (or an older one's probe, still busy)
            try {
                docker().removeContainerCmd(probe.getId()).withForce(true).withRemoveVolumes(true).exec();
            } catch (NotFoundException ignored) {
                // removed by its own command meanwhile
            }
        }
    }

    /** Lists PG_VERSION files in the volume with a throwaway container of the same image (read-only mount). */
    private List<String> probeVolume() {
        String script = "cd /probe || exit 0; for f in PG_VERSION */docker/PG_VERSION data/PG_VERSION; do "
            + "[ -f \"$f\" ] && echo \"found $f $(cat \"$f\")\"; done; echo \"entries $(ls -A | wc -l | tr -d ' ')\"; "
            + "echo \"free-kb $(df -Pk /probe | awk 'NR==2 {print $4}')\"";
        return runInImage(options.image, script,
            HostConfig.newHostConfig().withBinds(new Bind(options.volume, new Volume("/probe"), AccessMode.ro)));
    }

    private List<String> logs(String container, Integer tail) {
        List<String> lines = new ArrayList<>();
        var command = docker().logContainerCmd(container).withStdOut(true).withStdErr(true);
        if (tail != null) command = command.withTail(tail);
        try {
            command.exec(new ResultCallback.Adapter<Frame>() {
                @Override
                public void onNext(Frame frame) {
                    new String(frame.getPayload()).lines().forEach(lines::add);
                }
            }).awaitCompletion(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return lines;
    }

    private void requirePortFree(int port) {
        if (!HostPorts.isFree(port)) throw portInUse(port);
    }

    private OxyError portInUse(int port) {
        return HostPorts.inUse(port, containerPublishing(port).map(name -> "container " + name));
    }

    private Optional<String> containerPublishing(int port) {
        return docker().listContainersCmd().exec().stream()
            .filter(c -> c.getPorts() != null && Arrays.stream(c.getPorts()).anyMatch(p -> p.getPublicPort() != null && p.getPublicPort() == port))
            .map(c -> c.getNames()[0].replaceFirst("^/", "")).findFirst();
    }

    private void noteImageDifference(Console console, InspectContainerResponse container) {
        String image = container.getConfig().getImage();
        if (!options.image.equals(image)) {
            console.warn("container " + options.container + " runs " + image + ", not " + options.image
                + "; using it as it is (upgrade moves data to a new major)");
        }
    }

    private void failIfContainerStopped() {
        InspectContainerResponse container = docker().inspectContainerCmd(options.container).exec();
        if (!isRunning(container)) {
            throw new OxyError(ExitCode.DATABASE_UNAVAILABLE,
                "container " + options.container + " stopped while starting (exit code " + container.getState().getExitCodeLong() + ")",
                "See 'docker logs " + options.container + "'.", logs(options.container, 15), null);
        }
    }

    private static boolean isRunning(InspectContainerResponse container) {
        return Boolean.TRUE.equals(container.getState().getRunning());
    }

    static Optional<Integer> publishedPort(InspectContainerResponse container) {
        Ports ports = container.getHostConfig() == null ? null : container.getHostConfig().getPortBindings();
        if (ports == null || ports.getBindings().get(POSTGRES_PORT) == null) return Optional.empty();
        return Arrays.stream(ports.getBindings().get(POSTGRES_PORT)).map(Ports.Binding::getHostPortSpec)
            .filter(spec -> spec != null && spec.matches("\\d+")).map(Integer::parseInt).findFirst();
    }

    @Override
    public boolean stop(Console console) {
        if (runningContainer().isEmpty()) return false;
        docker().stopContainerCmd(options.container).withTimeout(30).exec();
        console.ok("Stopped container " + options.container + " (data kept in volume " + options.volume + ")");
        return true;
    }

    @Override
    public void stopNow() {
        try {
            docker().killContainerCmd(options.container).exec();
        } catch (RuntimeException ignored) {
            // already gone
        }
    }

    @Override
    public Report report() {
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("container", options.container);
        List<String> troubles = new ArrayList<>();
        Optional<Seen> found = seen();
        boolean running = false;
        if (found.isEmpty()) {
            facts.put("state", "missing");
            troubles.add("Container " + options.container + " does not exist.");
            troubles.add("Create and start it: ./jbang oxy start --runtime docker");
        } else {
            Seen container = found.get();
            running = container.running();
            facts.put("state", container.state());
            facts.put("image", container.image());
            container.port().ifPresent(port -> facts.put("port", port));
            facts.put("volume", container.volume().orElse(options.volume));
            if (running && container.startedAt() != null) {
                facts.put("uptimeSeconds", Duration.between(Instant.parse(container.startedAt()), Instant.now()).toSeconds());
            }
            if (!running) {
                troubles.add("Container " + options.container + " is " + container.state()
                    + " (exit code " + container.exitCode() + ").");
                troubles.add("Start it: ./jbang oxy start   (logs: docker logs " + Cli.shellQuote(options.container) + ")");
            }
        }
        Map<String, String> commands = new LinkedHashMap<>();
        commands.put("logs", "docker logs -f " + options.container);
        commands.put("psql", "docker exec -it " + Cli.shellQuote(options.container) + " psql -U " + Cli.shellQuote(options.user) + " -d " + Cli.shellQuote(options.database));
        commands.put("stop", "./jbang oxy stop");
        String volume = found.flatMap(Seen::volume).orElse(options.volume);
        commands.put("remove", "docker rm -f -v " + Cli.shellQuote(options.container) + "   (data stays in volume " + volume
            + "; 'docker volume rm " + Cli.shellQuote(volume) + "' deletes it)");
        return new Report(running, facts, troubles, commands);
    }

    /** What status shows of the container and url() reaches it by: the same from docker-java's model and from the raw inspect JSON. */
    record Seen(String state, boolean running, String image, Optional<Integer> port, Optional<String> volume, String startedAt, Long exitCode) {
        static Seen of(InspectContainerResponse container) {
            return new Seen(container.getState().getStatus(), isRunning(container), container.getConfig().getImage(), publishedPort(container),
                mountedVolume(container), container.getState().getStartedAt(), container.getState().getExitCodeLong());
        }

        static Seen of(com.fasterxml.jackson.databind.JsonNode container) {
            com.fasterxml.jackson.databind.JsonNode state = container.path("State");
            Optional<Integer> port = java.util.stream.StreamSupport.stream(container.path("HostConfig").path("PortBindings").path(POSTGRES_PORT.toString()).spliterator(), false)
                .map(binding -> text(binding.path("HostPort"))).filter(spec -> spec != null && spec.matches("\\d+")).map(Integer::parseInt).findFirst();
            Optional<String> volume = java.util.stream.StreamSupport.stream(container.path("Mounts").spliterator(), false)
                .map(mount -> text(mount.path("Name"))).filter(name -> name != null).findFirst();
            Long exitCode = state.path("ExitCode").isNumber() ? state.path("ExitCode").asLong() : null;
            return new Seen(text(state.path("Status")), state.path("Running").asBoolean(false), text(container.path("Config").path("Image")),
                port, volume, text(state.path("StartedAt")), exitCode);
        }

        private static String text(com.fasterxml.jackson.databind.JsonNode node) { return node.isTextual() ? node.asText() : null; }
    }

    /** The container read with one plain request where the engine is on a Unix socket (docker-java's client is ~0.4 s of set-up). */
    private Optional<Seen> seen() {
        try {
            return engine.inspectContainerOverUnixSocket(options.container).map(Seen::of);
        } catch (java.io.IOException notPlain) {
            return container().map(Seen::of);
        }
    }

    static Optional<String> mountedVolume(InspectContainerResponse container) {
        if (container.getMounts() == null) return Optional.empty();
        return container.getMounts().stream().filter(m -> m.getName() != null).map(InspectContainerResponse.Mount::getName).findFirst();
    }
}
