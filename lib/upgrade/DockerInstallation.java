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
    public String replicationSource() { return networkAddress(oldContainer(), runtime.container); }

    /** The new container's address, for the old server's subscription back. */
    @Override
    public String newServerAddress(UpgradeState state) {
        return networkAddress(dockerRuntime(state.name(), state.to(), state.toImage(), 0).container()
            .orElseThrow(() -> new OxyError(ExitCode.DATABASE_UNAVAILABLE, "container " + state.name() + " does not exist", null)), state.name());
    }

    private static String networkAddress(InspectContainerResponse container, String name) {
        var networks = container.getNetworkSettings() == null ? null : container.getNetworkSettings().getNetworks();
        String address = networks == null ? null : networks.values().stream().map(n -> n.getIpAddress())
            .filter(ip -> ip != null && !ip.isEmpty()).findFirst().orElse(null);
        if (address == null) {
            throw new OxyError(ExitCode.REFUSED, "container " + name + " has no address on a docker network, so the other server cannot reach it",
                "Use --method dump; nothing was changed.");
        }
        return "host=" + address + " port=5432";
    }

    @Override
    public Optional<PostgresUrl> runningKeptServer(UpgradeState state) {
        DockerRuntime kept = dockerRuntime(state.kept(), state.from(), state.fromImage(), 0);
        return kept.runningContainer().map(c -> kept.url());
    }

    /**
     * The old server beside the new one (the way back): the kept container publishes the app's port, which the new
     * server has now, so it is made again on a free port, same volume, image and data layout; its URL once it answers.
     */
    @Override
    public PostgresUrl startKeptServer(UpgradeState state) {
        Optional<InspectContainerResponse> kept = dockerRuntime(state.kept(), state.from(), state.fromImage(), 0).container();
        Optional<Integer> port = kept.flatMap(DockerRuntime::publishedPort);
        DockerRuntime server;
        if (kept.isPresent() && port.isPresent() && port.get() != runtime.postgresPort) {
            server = dockerRuntime(state.kept(), state.from(), state.fromImage(), port.get());
        } else {
            int free = HostPorts.nextFree(runtime.postgresPort + 1)
                .orElseThrow(() -> new OxyError(ExitCode.PORT_IN_USE, "no free port for the old server beside the new one", null));
            server = dockerRuntime(state.kept(), state.from(), state.fromImage(), free);
            if (kept.isPresent()) {
                server = server.withDataLayoutOf(kept.get());
                engine.removeContainerIfExists(state.kept()); // its volume stays; a kill until the next line is repaired by the next call
            }
        }
        server.start(console, Duration.ofSeconds(120));
        return server.url();
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
    public String describeNewStorage(UpgradeState state) { return "the new server " + state.staging() + " and volume " + state.to(); }

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
        // never creates storage: the old container (or, after the way back made it again, its volume) must still be there
        boolean oldContainerThere = engine.containerExists(state.kept())
            || !state.swapped() && engine.containerExists(state.name()) // after the swap, name is the new one
            || state.did(UpgradeState.WAY_BACK_READY); // the way back makes the old container again from its volume
        if (!oldContainerThere || !engine.volumeExists(state.from())) {
            throw new OxyError(ExitCode.DATA_NEEDS_ATTENTION, "cannot roll back: the old container " + state.name() + " (or " + state.kept()
                + ") and its volume " + state.from() + " are " + (engine.volumeExists(state.from()) ? "not both there" : "gone"),
                "Nothing was started. " + (state.backup() == null ? "The new data is in volume " + state.to() + "."
                    : "The final backup " + state.backup() + " holds the data: start a server and './jbang oxy restore " + state.backup() + "'."));
        }
        engine.removeContainerIfExists(state.staging());
        Optional<InspectContainerResponse> kept = dockerRuntime(state.kept(), state.from(), state.fromImage(), 0).container();
        if (kept.isPresent() || newServerHoldsTheName(state)) engine.removeContainerIfExists(state.name()); // the new server goes
        DockerRuntime old = dockerRuntime(state.name(), state.from(), state.fromImage(), runtime.postgresPort);
        if (kept.isPresent() && DockerRuntime.publishedPort(kept.get()).orElse(-1) == runtime.postgresPort) {
            engine.renameContainer(state.kept(), state.name()); // the old one gets its name back
        } else if (kept.isPresent()) {
            // beside the new server (the way back) on another port: made again on the app's port
            old = old.withDataLayoutOf(kept.get());
            dockerRuntime(state.kept(), state.from(), state.fromImage(), 0).stop(console); // a clean shutdown, not a kill
            engine.removeContainerIfExists(state.kept());
        }
        old.start(console, Duration.ofSeconds(120));
        docker.removeAbandonedProbes(); // a probe a killed run left on the new volume would keep it
        engine.removeVolumeIfExists(state.to());
    }

    /** After the swap the name is the new server's, until a rollback gives it back to a container of the old volume. */
    private boolean newServerHoldsTheName(UpgradeState state) {
        return state.swapped() && docker.container().flatMap(DockerRuntime::mountedVolume).map(state.to()::equals).orElse(false);
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
