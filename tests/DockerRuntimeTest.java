import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Volume;
import java.sql.Connection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The docker runtime against a real Docker engine and real postgres images. */
class DockerRuntimeTest {
    @RegisterExtension final DockerFixture docker = new DockerFixture("oxy-test-");

    /**
     * A probe left by a command killed with -9 before it even started (state "created"): the next command that
     * probes removes it, and the anonymous volume its image gave it, so no volume piles up on the engine.
     */
    @Test
    void probesLeftByAKilledCommandAreRemovedWithTheirVolumes() throws Exception {
        docker.client().createVolumeCmd().withName(docker.volume()).exec(); // an existing volume is probed before the container is created
        String abandoned = docker.client().createContainerCmd("postgres:18-alpine").withEntrypoint("sh").withCmd("-c", "true")
            .withLabels(Map.of(DockerRuntime.MANAGED_LABEL, "probe", DockerRuntime.PROBE_PID_LABEL, "2147483646")).exec().getId();
        List<String> anonymous = docker.client().inspectContainerCmd(abandoned).exec().getMounts().stream()
            .map(com.github.dockerjava.api.command.InspectContainerResponse.Mount::getName).filter(java.util.Objects::nonNull).toList();
        assertEquals(1, anonymous.size(), "the image gives each container an anonymous volume");
        OxyCli.Result started = OxyCli.run(docker.env(), "start", "--detach");
        assertEquals(0, started.exitCode(), started.toString());
        assertTrue(docker.client().listContainersCmd().withShowAll(true).withIdFilter(List.of(abandoned)).exec().isEmpty(), "the abandoned probe is gone");
        assertTrue(docker.client().listVolumesCmd().exec().getVolumes().stream().noneMatch(v -> v.getName().equals(anonymous.get(0))), "and its volume too");
        assertTrue(docker.client().listContainersCmd().withShowAll(true).withLabelFilter(Map.of(DockerRuntime.MANAGED_LABEL, "probe")).exec().isEmpty(),
            "no probe of this start is left either");
    }

    /** status pings the daemon with one plain HTTP request instead of docker-java's client: both must see the same engine. */
    @Test
    void thePlainPingSaysWhatDockerJavaSays() {
        DockerEngine pinged = DockerEngine.connect();
        assertEquals(docker.client().versionCmd().exec().getVersion(), pinged.version());
        assertFalse(pinged.containerExists(docker.container()), "and its client, made when first used, drives the same engine");
    }

    /** status reads the container with one plain request too: it sees what docker-java's model says, missing, running or stopped. */
    @Test
    void thePlainInspectSeesWhatDockerJavaSees() throws Exception {
        DockerEngine engine = DockerEngine.connect();
        assertEquals(java.util.Optional.empty(), engine.inspectContainerOverUnixSocket(docker.container()));
        assertEquals(0, OxyCli.run(docker.env(), "start", "--detach").exitCode());
        for (boolean running : List.of(true, false)) {
            if (!running) assertEquals(0, OxyCli.run(docker.env(), "stop").exitCode());
            DockerRuntime.Seen plain = DockerRuntime.Seen.of(engine.inspectContainerOverUnixSocket(docker.container()).orElseThrow());
            assertEquals(DockerRuntime.Seen.of(docker.client().inspectContainerCmd(docker.container()).exec()), plain);
            assertEquals(running, plain.running(), plain.toString());
            assertEquals(java.util.Optional.of(docker.port()), plain.port(), plain.toString());
            assertEquals(java.util.Optional.of(docker.volume()), plain.volume(), plain.toString());
        }
    }

    @Test
    void startCreatesTheContainerThenReusesItWithTheDataKept() throws Exception {
        OxyCli.Result created = OxyCli.run(docker.env(), "start", "--detach");
        assertEquals(0, created.exitCode(), created.toString());
        assertTrue(created.stdout().contains("Docker is available"), created.stdout());
        assertTrue(created.stdout().contains("Creating container " + docker.container() + " (postgres:18-alpine, volume " + docker.volume() + ", port " + docker.port() + ")"), created.stdout());
        assertTrue(created.stdout().contains("Applied migration V1 oxy app schema"), created.stdout());
        try (Connection connection = OxyCli.connectLocal(docker.port(), "oxy")) {
            assertEquals(17, OxyCli.appTableCount(connection));
            OxyCli.execute(connection, "INSERT INTO tasks (id, title, question, answer, file_path) VALUES (gen_random_uuid(), 'kept', 'q', 'a', 'f')");
        }

        JsonNode json = new ObjectMapper().readTree(OxyCli.run(docker.env(), "status", "--json").stdout());
        assertEquals("docker", json.path("runtime").asText());
        assertTrue(json.path("docker").path("available").asBoolean());
        assertEquals("running", json.path("postgres").path("state").asText());
        assertEquals(docker.volume(), json.path("postgres").path("volume").asText());
        assertTrue(json.path("database").path("connected").asBoolean());
        assertTrue(json.path("database").path("serverVersion").asText().startsWith("18"));
        assertEquals(0, json.path("schema").path("pending").asInt());
        assertEquals(0, json.path("exitCode").asInt());

        OxyCli.Result running = OxyCli.run(docker.env(), "start", "--detach");
        assertTrue(running.stdout().contains("Using running container " + docker.container()), running.stdout());

        OxyCli.Result stopped = OxyCli.run(docker.env(), "stop");
        assertEquals(0, stopped.exitCode(), stopped.toString());
        assertTrue(stopped.stdout().contains("Stopped container " + docker.container() + " (data kept in volume " + docker.volume() + ")"), stopped.stdout());
        OxyCli.Result down = OxyCli.run(docker.env(), "status");
        assertEquals(ExitCode.DATABASE_UNAVAILABLE, down.exitCode(), down.toString());
        assertTrue(down.stdout().contains("Container " + docker.container() + " is exited"), down.stdout());
        assertTrue(down.stdout().contains("docker logs " + docker.container()), down.stdout());

        OxyCli.Result restarted = OxyCli.run(docker.env(), "start", "--detach");
        assertEquals(0, restarted.exitCode(), restarted.toString());
        assertTrue(restarted.stdout().contains("Starting existing container " + docker.container()), restarted.stdout());
        assertTrue(restarted.stdout().contains("Schema is up to date"), restarted.stdout());
        try (Connection connection = OxyCli.connectLocal(docker.port(), "oxy")) {
            assertEquals(1, OxyCli.queryLong(connection, "SELECT count(*) FROM tasks WHERE title = 'kept'"));
        }
    }

    /**
     * Backup and restore in the docker runtime: pg_dump runs in the server's own container, restore in one of its image.
     * The default compression is auto, so pg_dump 18 writes zstd (the manifest says so, and the archive's blocks are zstd
     * frames); a backup asked for gzip restores as the backups made before the default changed do.
     */
    @Test
    void backupAndRestoreRoundTripInTheContainer() throws Exception {
        assertEquals(0, OxyCli.run(docker.env(), "start", "--detach").exitCode());
        OxyCli.Result made = OxyCli.backupDeleteRestore(docker.env(), docker.port());
        assertTrue(made.stdout().contains("in the " + docker.container() + " container"), made.stdout());
        BackupManifest byDefault = manifestOf(made);
        assertEquals("zstd", byDefault.compression(), byDefault.toString());
        assertTrue(holdsZstdFrames(docker.state().resolve("backups").resolve(byDefault.file())), "the default archive's data blocks are zstd");
        BackupManifest gzip = manifestOf(OxyCli.backupDeleteRestore(docker.env(), docker.port(), "--compress", "gzip"));
        assertEquals("gzip", gzip.compression(), gzip.toString());
        assertFalse(holdsZstdFrames(docker.state().resolve("backups").resolve(gzip.file())), "--compress gzip writes no zstd frame");
        OxyCli.Result status = OxyCli.run(docker.env(), "status");
        assertTrue(status.stdout().contains("Backups") && status.stdout().contains("Newest oxy_"), status.stdout());
        // a backup can be checked while the server is down (before a restore, say)
        assertEquals(0, OxyCli.run(docker.env(), "stop").exitCode());
        OxyCli.Result verified = OxyCli.run(docker.env(), "backup", "verify", "latest");
        assertEquals(0, verified.exitCode(), verified.toString());
    }

    /** The manifest of the backup a run made ("Backup oxy_… verified"), from the test's backup directory. */
    private BackupManifest manifestOf(OxyCli.Result made) {
        java.util.regex.Matcher name = java.util.regex.Pattern.compile("Backup (oxy_\\d{8}_\\d{6}(?:_\\d+)?) verified").matcher(made.stdout());
        assertTrue(name.find(), made.stdout());
        return BackupManifest.read(BackupManifest.pathFor(docker.state().resolve("backups"), name.group(1)));
    }

    /** Whether the file holds zstd's frame magic (28 b5 2f fd): pg_dump's zstd writes one frame per data block, gzip none. */
    private static boolean holdsZstdFrames(java.nio.file.Path file) throws Exception {
        byte[] bytes = java.nio.file.Files.readAllBytes(file);
        for (int i = 0; i + 3 < bytes.length; i++) {
            if ((bytes[i] & 0xff) == 0x28 && (bytes[i + 1] & 0xff) == 0xb5 && (bytes[i + 2] & 0xff) == 0x2f && (bytes[i + 3] & 0xff) == 0xfd) return true;
        }
        return false;
    }

    /** docker-java's debug lines hold every request body: the container's POSTGRES_PASSWORD, pg_dump's PGPASSWORD. */
    @Test
    void verboseOutputNeverShowsThePassword() throws Exception {
        Map<String, String> env = new HashMap<>(docker.env());
        env.put("OXY_POSTGRES_PASSWORD", "dk-S3cret-pw");
        OxyCli.Result started = OxyCli.run(env, "start", "--detach", "--verbose");
        assertEquals(0, started.exitCode(), started.toString());
        OxyCli.Result made = OxyCli.run(env, "backup", "--verbose");
        assertEquals(0, made.exitCode(), made.toString());
        for (OxyCli.Result result : List.of(started, made)) assertFalse(result.all().contains("dk-S3cret-pw"), "password printed: " + result);
    }

    @Test
    void aTakenPortIsRefusedBeforeAnythingIsCreated() throws Exception {
        OxyCli.Result result = OxyCli.startOnTakenPort(docker.env(), docker.port());
        assertTrue(result.stderr().contains("--postgres-port"), result.stderr());
        assertTrue(docker.client().listContainersCmd().withShowAll(true).withNameFilter(java.util.List.of(docker.container())).exec().isEmpty());
    }

    @Test
    void aVolumeOfAnOlderMajorIsRefusedAndLeftAsItWas() throws Exception {
        initialiseVolumeWith("postgres:17-alpine", "/var/lib/postgresql/data");
        String before = inVolume("cat /v/PG_VERSION; (ls -lAR --time-style=+%s /v; stat -c %Y /v) | md5sum");

        OxyCli.Result result = OxyCli.run(docker.env(), "start", "--detach");
        assertEquals(ExitCode.DATA_NEEDS_ATTENTION, result.exitCode(), result.toString());
        assertTrue(result.stderr().contains("the volume " + docker.volume() + " holds PostgreSQL 17 data, but postgres:18-alpine runs PostgreSQL 18"), result.stderr());
        assertTrue(result.stderr().contains("./jbang oxy upgrade --to 18"), result.stderr());
        assertTrue(result.stderr().contains("--image postgres:17-alpine"), result.stderr());
        assertEquals(before, inVolume("cat /v/PG_VERSION; (ls -lAR --time-style=+%s /v; stat -c %Y /v) | md5sum"));
        assertTrue(before.startsWith("17"));
        assertTrue(docker.client().listContainersCmd().withShowAll(true).withNameFilter(java.util.List.of(docker.container())).exec().isEmpty());

        // the same volume starts fine with its own major, in the pre-18 layout
        Map<String, String> with17 = new java.util.HashMap<>(docker.env());
        with17.put("OXY_POSTGRES_IMAGE", "postgres:17-alpine");
        OxyCli.Result on17 = OxyCli.run(with17, "start", "--detach");
        assertEquals(0, on17.exitCode(), on17.toString());
        assertTrue(on17.stdout().contains("PostgreSQL 17"), on17.stdout());
    }

    @Test
    void aVolumeWithUnknownFilesIsNotInitialisedOver() throws Exception {
        docker.client().createVolumeCmd().withName(docker.volume()).exec();
        inVolume("echo mine > /v/notes.txt");
        OxyCli.Result result = OxyCli.run(docker.env(), "start", "--detach");
        assertEquals(ExitCode.DATA_NEEDS_ATTENTION, result.exitCode(), result.toString());
        assertTrue(result.stderr().contains("holds files but no PostgreSQL data directory"), result.stderr());
        assertEquals("mine\n1\n", inVolume("cat /v/notes.txt; ls -A /v | wc -l"));
    }

    @Test
    void aMissingImageThatCannotBePulledIsNamed() throws Exception {
        Map<String, String> missing = new java.util.HashMap<>(docker.env());
        missing.put("OXY_POSTGRES_IMAGE", "oxy-ops-test/no-such-image:18");
        OxyCli.Result result = OxyCli.run(missing, "start", "--detach");
        assertEquals(ExitCode.FAILED, result.exitCode(), result.toString());
        assertTrue(result.stderr().contains("could not pull the image oxy-ops-test/no-such-image:18"), result.stderr());
        assertFalse(result.all().contains("at com.github"), "no stack trace: " + result.all());
    }

    @Test
    void statusExplainsAMissingContainer() throws Exception {
        OxyCli.Result result = OxyCli.run(docker.env(), "status");
        assertEquals(ExitCode.DATABASE_UNAVAILABLE, result.exitCode(), result.toString());
        assertTrue(result.stdout().contains("Container " + docker.container() + " does not exist."), result.stdout());
        assertTrue(result.stdout().contains("./jbang oxy start --runtime docker"), result.stdout());
        JsonNode json = new ObjectMapper().readTree(OxyCli.run(docker.env(), "status", "--json").stdout());
        assertEquals("missing", json.path("postgres").path("state").asText());
        assertFalse(json.path("database").path("connected").asBoolean());
    }

    @Test
    void aDaemonThatDoesNotAnswerIsReportedWithWhatToDo() throws Exception {
        Map<String, String> down = new java.util.HashMap<>(docker.env());
        down.put("DOCKER_HOST", "unix://" + docker.state().resolve("docker.sock"));
        OxyCli.Result start = OxyCli.run(down, "start", "--detach");
        assertEquals(ExitCode.DOCKER_UNAVAILABLE, start.exitCode(), start.toString());
        assertTrue(start.stderr().contains("the Docker daemon does not answer at unix://" + docker.state().resolve("docker.sock")), start.stderr());
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
        String id = docker.client().createContainerCmd(image).withEnv("POSTGRES_PASSWORD=postgres")
            .withHostConfig(HostConfig.newHostConfig().withBinds(new Bind(docker.volume(), new Volume(mountPath)))).exec().getId();
        try {
            docker.client().startContainerCmd(id).exec();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!logs(id).contains("PostgreSQL init process complete")) {
                if (System.nanoTime() > deadline) throw new AssertionError("the " + image + " container did not initialise:\n" + logs(id));
                Thread.sleep(200);
            }
            docker.client().stopContainerCmd(id).withTimeout(30).exec();
        } finally {
            docker.client().removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
        }
    }

    /** Runs a shell command with the volume at /v in a throwaway container; returns what it printed. */
    private String inVolume(String command) throws Exception {
        String id = docker.client().createContainerCmd("postgres:18-alpine").withEntrypoint("sh").withCmd("-c", command).withUser("root")
            .withHostConfig(HostConfig.newHostConfig().withBinds(new Bind(docker.volume(), new Volume("/v")))).exec().getId();
        try {
            docker.client().startContainerCmd(id).exec();
            docker.client().waitContainerCmd(id).start().awaitStatusCode(60, TimeUnit.SECONDS);
            return logs(id);
        } finally {
            docker.client().removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
        }
    }

    private String logs(String id) throws Exception {
        StringBuilder text = new StringBuilder();
        docker.client().logContainerCmd(id).withStdOut(true).withStdErr(true).exec(new ResultCallback.Adapter<Frame>() {
            @Override
            public void onNext(Frame frame) { text.append(new String(frame.getPayload())); }
        }).awaitCompletion(30, TimeUnit.SECONDS);
        return text.toString();
    }
}
