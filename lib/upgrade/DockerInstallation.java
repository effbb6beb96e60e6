import com.github.dockerjava.api.command.InspectContainerResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** Docker: a new volume <volume>-<major>, a staging container, then the container swapped; the old one kept as <container>-pg<old>. */
public final class DockerInstallation implements Installation {
    private final DockerRuntime docker;
    private final DockerEngine engine;
    private final RuntimeOptions runtime;
    private final Console console;
    private DockerRuntime.VolumeFacts volumeFacts; // one probe container for the plan, not two

    /** docker: the old server, as the options name it; runtime: those options, for the new server's copies. */
    public DockerInstallation(DockerRuntime docker, RuntimeOptions runtime, Console console) {
        this.docker = docker;
        this.engine = docker.engine();
        this.runtime = runtime;
        this.console = console;
    }

    @Override public Path stateFile() { return UpgradeState.file(runtime, true); }

    @Override
    public Target target(String to) {
        String image = to.matches("\\d+") ? "postgres:" + to + "-alpine" : to;
        engine.ensureImage(image, console);
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
            engine.startContainer(runtime.container);
            Readiness.waitUntilReady(docker.url(), Duration.ofSeconds(120), () -> {});
        }
        return docker.url();
    }

    @Override
    public Optional<PostgresUrl> runningOldServer(UpgradeState state) {
        if (engine.containerExists(state.kept())) return Optional.empty(); // renamed: stopped by the swap
        return docker.runningContainer().map(c -> docker.url());
    }

    @Override public void stopOldServer(UpgradeState state) { docker.stop(console); }

    @Override public DatabaseRuntime oldRuntime() { return docker; }

    @Override public boolean canReplicate() { return true; }

    /** The old container's address on its docker network: the new container reaches it there, not through the host's port. */
    @Override
    public String replicationSource() {
        var networks = oldContainer().getNetworkSettings() == null ? null : oldContainer().getNetworkSettings().getNetworks();
        String address = networks == null ? null : networks.values().stream().map(n -> n.getIpAddress())
            .filter(ip -> ip != null && !ip.isEmpty()).findFirst().orElse(null);
        if (address == null) {
            throw new OxyError(ExitCode.REFUSED, "container " + runtime.container + " has no address on a docker network, so the new server cannot reach it",
                "Use --method dump; nothing was changed.");
        }
        return "host=" + address + " port=5432";
    }

    @Override
    public PostgresUrl restartOldServer() {
        engine.client().restartContainerCmd(runtime.container).withTimeout(30).exec();
        Readiness.waitUntilReady(docker.url(), Duration.ofSeconds(120), () -> {});
        return docker.url();
    }

    @Override public int dataMajor() { return volumeFacts().dataMajor(); }

    @Override public long freeBytes() { return volumeFacts().freeBytes(); }

    private DockerRuntime.VolumeFacts volumeFacts() {
        if (volumeFacts == null) volumeFacts = docker.volumeFacts();
        return volumeFacts;
    }

    @Override
    public UpgradeState newState(int fromMajor, Target target) {
        InspectContainerResponse current = oldContainer();
        String fromVolume = DockerRuntime.mountedVolume(current).orElse(runtime.volume);
        return new UpgradeState("docker", runtime.container, current.getConfig().getImage(), fromVolume, fromMajor, target.image(),
            fromVolume + "-" + target.major(), target.major(), runtime.container + "-upgrade-" + target.major(),
            runtime.container + "-pg" + fromMajor, null, 0, List.of(), null);
    }

    @Override
    public List<String> describeSteps(UpgradeState state) {
        return List.of("new volume " + state.to() + " and a staging container " + state.staging() + " on a free port (the old volume is never touched)",
            "swap: keep the old container as " + state.kept() + ", start " + state.name() + " from " + state.toImage()
                + " on volume " + state.to() + " and port " + docker.url().port());
    }

    @Override
    public Supplier<List<String>> availableExtensions(Target target) {
        return () -> docker.runInImage(target.image(), "ls \"$(pg_config --sharedir)/extension\" | sed -n 's/\\.control$//p'");
    }

    /** Alpine images sort text with musl, Debian ones with glibc: the same ORDER BY can come out differently. */
    @Override
    public void warnOfCollationChange(PostgresUrl url, Target target) {
        String collation = SingleValue.text(url, "SELECT datcollate FROM pg_database WHERE datname = current_database()");
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
    public void swap(UpgradeState state, Downtime downtime) {
        // where the staging server keeps its data is where the new one will: known now, no probe of the volume later
        Optional<InspectContainerResponse> staging = dockerRuntime(state.staging(), state.to(), state.toImage(), 0).container();
        // both servers stop at once: each shutdown writes its last checkpoint
        CompletableFuture<Void> stagingGone = CompletableFuture.runAsync(() -> {
            if (staging.isEmpty()) return;
            dockerRuntime(state.staging(), state.to(), state.toImage(), 0).stop(console);
            engine.removeContainerIfExists(state.staging());
        });
        if (!engine.containerExists(state.kept())) {
            docker.stop(console);
            engine.renameContainer(state.name(), state.kept());
        }
        Cli.join(stagingGone);
        downtime.stepDone("both servers stopped");
        // the new server takes the old one's published port
        int port = dockerRuntime(state.kept(), state.from(), state.fromImage(), runtime.postgresPort).url().port();
        DockerRuntime next = dockerRuntime(state.name(), state.to(), state.toImage(), port);
        (staging.isPresent() ? next.withDataLayoutOf(staging.get()) : next).start(console, Duration.ofSeconds(120));
        downtime.stepDone("new server started");
    }

    @Override
    public void removeStaging(UpgradeState state) {
        docker.removeAbandonedProbes(); // a probe a killed run left on the new volume would keep it
        engine.removeContainerIfExists(state.staging());
        engine.removeVolumeIfExists(state.to());
    }

    @Override
    public void rollBack(UpgradeState state) {
        // never creates storage: the old container and its volume must still be there
        boolean oldContainerThere = engine.containerExists(state.kept())
            || !state.swapped() && engine.containerExists(state.name()); // after the swap, name is the new one
        if (!oldContainerThere || !engine.volumeExists(state.from())) {
            throw new OxyError(ExitCode.DATA_NEEDS_ATTENTION, "cannot roll back: the old container " + state.name() + " (or " + state.kept()
                + ") and its volume " + state.from() + " are " + (engine.volumeExists(state.from()) ? "not both there" : "gone"),
                "Nothing was started. " + (state.backup() == null ? "The new data is in volume " + state.to() + "."
                    : "The final backup " + state.backup() + " holds the data: start a server and './jbang oxy restore " + state.backup() + "'."));
        }
        engine.removeContainerIfExists(state.staging());
        if (engine.containerExists(state.kept())) {
            // the new server took the name: it goes, the old one gets its name back
            engine.removeContainerIfExists(state.name());
            engine.renameContainer(state.kept(), state.name());
        }
        docker.start(console, Duration.ofSeconds(120));
        docker.removeAbandonedProbes(); // a probe a killed run left on the new volume would keep it
        engine.removeVolumeIfExists(state.to());
    }

    @Override
    public void removeOld(UpgradeState state) {
        engine.removeContainerIfExists(state.kept()); // with its anonymous volumes only
        docker.removeAbandonedProbes();
        engine.removeVolume(state.from());
    }

    /** Another server of the same app: the options' settings with its own container, volume, image and port. */
    private DockerRuntime dockerRuntime(String container, String volume, String image, int port) {
        RuntimeOptions copy = runtime.copy(RuntimeOptions.Kind.DOCKER, port);
        copy.container = container;
        copy.volume = volume;
        copy.image = image;
        return new DockerRuntime(copy, engine);
    }
}
