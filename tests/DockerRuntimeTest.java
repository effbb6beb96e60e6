import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Volume;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The docker runtime against a real Docker engine and real postgres images. */
class DockerRuntimeTest {
    @TempDir Path state;
    String container;
    String volume;
    int port;
    Map<String, String> env;
    DockerClient docker;

    @BeforeEach
    void setUp() throws Exception {
        OxyCli.requireDocker();
        docker = DockerEngine.connect().client();
        String id = UUID.randomUUID().toString().substring(0, 8);
        container = "oxy-test-" + id;
        volume = "oxy-test-" + id + "-data";
        port = OxyCli.freePort();
        env = OxyCli.env("OXY_RUNTIME", "docker", "OXY_STATE_DIR", state.toString(), "OXY_POSTGRES_CONTAINER", container,
            "OXY_POSTGRES_VOLUME", volume, "OXY_POSTGRES_PORT", String.valueOf(port));
    }

    @AfterEach
    void removeContainerAndVolume() {
        if (docker == null) return;
        try { docker.removeContainerCmd(container).withForce(true).withRemoveVolumes(true).exec(); } catch (NotFoundException ignored) { }
        try { docker.removeVolumeCmd(volume).exec(); } catch (NotFoundException ignored) { }
    }

    /**
     * A probe left by a command killed with -9 before it even started (state "created"): the next command that
     * probes removes it, and the anonymous volume its image gave it, so no volume piles up on the engine.
     */
    @Test
    void probesLeftByAKilledCommandAreRemovedWithTheirVolumes() throws Exception {
        docker.createVolumeCmd().withName(volume).exec(); // an existing volume is probed before the container is created
        String abandoned = docker.createContainerCmd("postgres:18-alpine").withEntrypoint("sh").withCmd("-c", "true")
            .withLabels(Map.of(DockerRuntime.MANAGED_LABEL, "probe", DockerRuntime.PROBE_PID_LABEL, "2147483646")).exec().getId();
        List<String> anonymous = docker.inspectContainerCmd(abandoned).exec().getMounts().stream()
            .map(com.github.dockerjava.api.command.InspectContainerResponse.Mount::getName).filter(java.util.Objects::nonNull).toList();
        assertEquals(1, anonymous.size(), "the image gives each container an anonymous volume");
        OxyCli.Result started = OxyCli.run(env, "start", "--detach");
        assertEquals(0, started.exitCode(), started.toString());
        assertTrue(docker.listContainersCmd().withShowAll(true).withIdFilter(List.of(abandoned)).exec().isEmpty(), "the abandoned probe is gone");
        assertTrue(docker.listVolumesCmd().exec().getVolumes().stream().noneMatch(v -> v.getName().equals(anonymous.get(0))), "and its volume too");
        assertTrue(docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(DockerRuntime.MANAGED_LABEL, "probe")).exec().isEmpty(),
            "no probe of this start is left either");
    }

    @Test
    void startCreatesTheContainerThenReusesItWithTheDataKept() throws Exception {
        OxyCli.Result created = OxyCli.run(env, "start", "--detach");
        assertEquals(0, created.exitCode(), created.toString());
        assertTrue(created.stdout().contains("Docker is available"), created.stdout());
        assertTrue(created.stdout().contains("Creating container " + container + " (postgres:18-alpine, volume " + volume + ", port " + port + ")"), created.stdout());
        assertTrue(created.stdout().contains("Applied migration V1 oxy app schema"), created.stdout());
        try (Connection connection = OxyCli.connectLocal(port, "oxy")) {
            assertEquals(17, OxyCli.appTableCount(connection));
            OxyCli.execute(connection, "INSERT INTO tasks (id, title, question, answer, file_path) VALUES (gen_random_uuid(), 'kept', 'q', 'a', 'f')");
        }

        JsonNode json = new ObjectMapper().readTree(OxyCli.run(env, "status", "--json").stdout());
        assertEquals("docker", json.path("runtime").asText());
        assertTrue(json.path("docker").path("available").asBoolean());
        assertEquals("running", json.path("postgres").path("state").asText());
        assertEquals(volume, json.path("postgres").path("volume").asText());
        assertTrue(json.path("database").path("connected").asBoolean());
        assertTrue(json.path("database").path("serverVersion").asText().startsWith("18"));
        assertEquals(0, json.path("schema").path("pending").asInt());
        assertEquals(0, json.path("exitCode").asInt());

        OxyCli.Result running = OxyCli.run(env, "start", "--detach");
        assertTrue(running.stdout().contains("Using running container " + container), running.stdout());

        OxyCli.Result stopped = OxyCli.run(env, "stop");
        assertEquals(0, stopped.exitCode(), stopped.toString());
        assertTrue(stopped.stdout().contains("Stopped container " + container + " (data kept in volume " + volume + ")"), stopped.stdout());
        OxyCli.Result down = OxyCli.run(env, "status");
        assertEquals(ExitCode.DATABASE_UNAVAILABLE, down.exitCode(), down.toString());
        assertTrue(down.stdout().contains("Container " + container + " is exited"), down.stdout());
        assertTrue(down.stdout().contains("docker logs " + container), down.stdout());

        OxyCli.Result restarted = OxyCli.run(env, "start", "--detach");
        assertEquals(0, restarted.exitCode(), restarted.toString());
        assertTrue(restarted.stdout().contains("Starting existing container " + container), restarted.stdout());
        assertTrue(restarted.stdout().contains("Schema is up to date"), restarted.stdout());
        try (Connection connection = OxyCli.connectLocal(port, "oxy")) {
            assertEquals(1, OxyCli.queryLong(connection, "SELECT count(*) FROM tasks WHERE title = 'kept'"));
        }
    }

    /** Backup and restore in the docker runtime: pg_dump from the container's own image, in its network. */
    @Test
    void backupAndRestoreRoundTripInTheContainer() throws Exception {
        assertEquals(0, OxyCli.run(env, "start", "--detach").exitCode());
        OxyCli.Result made = OxyCli.backupDeleteRestore(env, port);
        assertTrue(made.stdout().contains("in a postgres:18-alpine container"), made.stdout());
        OxyCli.Result status = OxyCli.run(env, "status");
        assertTrue(status.stdout().contains("Backups") && status.stdout().contains("Newest oxy_"), status.stdout());
        // a backup can be checked while the server is down (before a restore, say)
        assertEquals(0, OxyCli.run(env, "stop").exitCode());
        OxyCli.Result verified = OxyCli.run(env, "backup", "verify", "latest");
        assertEquals(0, verified.exitCode(), verified.toString());
    }

    @Test
    void aTakenPortIsRefusedBeforeAnythingIsCreated() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            OxyCli.Result result = OxyCli.run(env, "start", "--detach");
            assertEquals(ExitCode.PORT_IN_USE, result.exitCode(), result.toString());
            assertTrue(result.stderr().contains("port " + port + " is already in use by java (pid " + ProcessHandle.current().pid() + ")"), result.stderr());
            assertTrue(result.stderr().contains("--postgres-port"), result.stderr());
        }
        assertTrue(docker.listContainersCmd().withShowAll(true).withNameFilter(java.util.List.of(container)).exec().isEmpty());
    }

    @Test
    void aVolumeOfAnOlderMajorIsRefusedAndLeftAsItWas() throws Exception {
        initialiseVolumeWith("postgres:17-alpine", "/var/lib/postgresql/data");
        String before = inVolume("cat /v/PG_VERSION; (ls -lAR --time-style=+%s /v; stat -c %Y /v) | md5sum");

        OxyCli.Result result = OxyCli.run(env, "start", "--detach");
        assertEquals(ExitCode.DATA_NEEDS_ATTENTION, result.exitCode(), result.toString());
        assertTrue(result.stderr().contains("the volume " + volume + " holds PostgreSQL 17 data, but postgres:18-alpine runs PostgreSQL 18"), result.stderr());
        assertTrue(result.stderr().contains("./jbang oxy upgrade --to 18"), result.stderr());
        assertTrue(result.stderr().contains("--image postgres:17-alpine"), result.stderr());
        assertEquals(before, inVolume("cat /v/PG_VERSION; (ls -lAR --time-style=+%s /v; stat -c %Y /v) | md5sum"));
        assertTrue(before.startsWith("17"));
        assertTrue(docker.listContainersCmd().withShowAll(true).withNameFilter(java.util.List.of(container)).exec().isEmpty());

        // the same volume starts fine with its own major, in the pre-18 layout
        Map<String, String> with17 = new java.util.HashMap<>(env);
        with17.put("OXY_POSTGRES_IMAGE", "postgres:17-alpine");
        OxyCli.Result on17 = OxyCli.run(with17, "start", "--detach");
        assertEquals(0, on17.exitCode(), on17.toString());
        assertTrue(on17.stdout().contains("PostgreSQL 17"), on17.stdout());
    }

    @Test
    void aVolumeWithUnknownFilesIsNotInitialisedOver() throws Exception {
        docker.createVolumeCmd().withName(volume).exec();
        inVolume("echo mine > /v/notes.txt");
        OxyCli.Result result = OxyCli.run(env, "start", "--detach");
        assertEquals(ExitCode.DATA_NEEDS_ATTENTION, result.exitCode(), result.toString());
        assertTrue(result.stderr().contains("holds files but no PostgreSQL data directory"), result.stderr());
        assertEquals("mine\n1\n", inVolume("cat /v/notes.txt; ls -A /v | wc -l"));
    }

    @Test
    void aMissingImageThatCannotBePulledIsNamed() throws Exception {
        Map<String, String> missing = new java.util.HashMap<>(env);
        missing.put("OXY_POSTGRES_IMAGE", "oxy-ops-test/no-such-image:18");
        OxyCli.Result result = OxyCli.run(missing, "start", "--detach");
        assertEquals(ExitCode.FAILED, result.exitCode(), result.toString());
        assertTrue(result.stderr().contains("could not pull the image oxy-ops-test/no-such-image:18"), result.stderr());
        assertFalse(result.all().contains("at com.github"), "no stack trace: " + result.all());
    }

    @Test
    void statusExplainsAMissingContainer() throws Exception {
        OxyCli.Result result = OxyCli.run(env, "status");
        assertEquals(ExitCode.DATABASE_UNAVAILABLE, result.exitCode(), result.toString());
        assertTrue(result.stdout().contains("Container " + container + " does not exist."), result.stdout());
        assertTrue(result.stdout().contains("./jbang oxy start --runtime docker"), result.stdout());
        JsonNode json = new ObjectMapper().readTree(OxyCli.run(env, "status", "--json").stdout());
        assertEquals("missing", json.path("postgres").path("state").asText());
        assertFalse(json.path("database").path("connected").asBoolean());
    }

    @Test
    void aDaemonThatDoesNotAnswerIsReportedWithWhatToDo() throws Exception {
        Map<String, String> down = new java.util.HashMap<>(env);
        down.put("DOCKER_HOST", "unix://" + state.resolve("docker.sock"));
        OxyCli.Result start = OxyCli.run(down, "start", "--detach");
        assertEquals(ExitCode.DOCKER_UNAVAILABLE, start.exitCode(), start.toString());
        assertTrue(start.stderr().contains("the Docker daemon does not answer at unix://" + state.resolve("docker.sock")), start.stderr());
        assertTrue(start.stderr().contains("--runtime embedded"), start.stderr());
        assertTrue(start.stderr().strip().lines().count() <= 2, start.stderr());

        OxyCli.Result status = OxyCli.run(down, "status");
        assertEquals(ExitCode.DOCKER_UNAVAILABLE, status.exitCode(), status.toString());
        assertTrue(status.stdout().contains("Troubleshooting"), status.stdout());
        JsonNode json = new ObjectMapper().readTree(OxyCli.run(down, "status", "--json").stdout());
        assertFalse(json.path("docker").path("available").asBoolean());
        assertFalse(json.path("database").path("connected").asBoolean(false));
        assertEquals(ExitCode.DOCKER_UNAVAILABLE, json.path("exitCode").asInt());
    }

    /** Lets an image's own entrypoint initialise the volume, as a user of that image would have. */
    private void initialiseVolumeWith(String image, String mountPath) throws Exception {
        String id = docker.createContainerCmd(image).withEnv("POSTGRES_PASSWORD=postgres")
            .withHostConfig(HostConfig.newHostConfig().withBinds(new Bind(volume, new Volume(mountPath)))).exec().getId();
        try {
            docker.startContainerCmd(id).exec();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!logs(id).contains("PostgreSQL init process complete")) {
                if (System.nanoTime() > deadline) throw new AssertionError("the " + image + " container did not initialise:\n" + logs(id));
                Thread.sleep(200);
            }
            docker.stopContainerCmd(id).withTimeout(30).exec();
        } finally {
            docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
        }
    }

    /** Runs a shell command with the volume at /v in a throwaway container; returns what it printed. */
    private String inVolume(String command) throws Exception {
        String id = docker.createContainerCmd("postgres:18-alpine").withEntrypoint("sh").withCmd("-c", command).withUser("root")
            .withHostConfig(HostConfig.newHostConfig().withBinds(new Bind(volume, new Volume("/v")))).exec().getId();
        try {
            docker.startContainerCmd(id).exec();
            docker.waitContainerCmd(id).start().awaitStatusCode(60, TimeUnit.SECONDS);
            return logs(id);
        } finally {
            docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
        }
    }

    private String logs(String id) throws Exception {
        StringBuilder text = new StringBuilder();
        docker.logContainerCmd(id).withStdOut(true).withStdErr(true).exec(new ResultCallback.Adapter<Frame>() {
            @Override
            public void onNext(Frame frame) { text.append(new String(frame.getPayload())); }
        }).awaitCompletion(30, TimeUnit.SECONDS);
        return text.toString();
    }
}
