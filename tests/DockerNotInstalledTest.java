import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A machine without Docker, made for real: the command runs in a private mount namespace where /run is an
 * empty tmpfs (no /var/run/docker.sock), with a HOME holding no Desktop/Colima/Podman sockets and a PATH
 * without a docker binary. Needs root (unshare -m); skipped elsewhere.
 */
class DockerNotInstalledTest {
    @TempDir Path home;

    @Test
    void statusAndStartSayDockerIsNotInstalledAndWhatToDo() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/bin/unshare")),
            "needs root to make a mount namespace without Docker");
        Run status = withoutDocker("status", "--runtime", "docker");
        assertEquals(ExitCode.DOCKER_UNAVAILABLE, status.exitCode, status.output);
        assertTrue(status.output.contains("Docker is not installed (no docker command, no Docker socket)"), status.output);
        assertTrue(status.output.contains("--runtime embedded"), status.output);

        Run json = withoutDocker("status", "--runtime", "docker", "--json");
        JsonNode report = new ObjectMapper().readTree(json.output.substring(json.output.indexOf('{')));
        assertFalse(report.path("docker").path("available").asBoolean());
        assertTrue(report.path("docker").path("error").asText().contains("not installed"), report.toString());

        Run start = withoutDocker("start", "--runtime", "docker", "--detach");
        assertEquals(ExitCode.DOCKER_UNAVAILABLE, start.exitCode, start.output);
        assertTrue(start.output.contains("Docker is not installed"), start.output);
        assertFalse(start.output.contains("at com.github"), "no stack trace: " + start.output);
    }

    record Run(int exitCode, String output) {}

    private Run withoutDocker(String... args) throws Exception {
        List<String> java = new ArrayList<>(List.of(OxyCli.javaBinary(), "-cp", System.getProperty("java.class.path"), "oxy"));
        java.addAll(List.of(args));
        StringBuilder script = new StringBuilder("mount -t tmpfs none /run && PATH='" + home.resolve("bin") + "' exec");
        for (String part : java) script.append(" '").append(part.replace("'", "'\\''")).append("'");
        ProcessBuilder builder = new ProcessBuilder("unshare", "-m", "sh", "-c", script.toString()).redirectErrorStream(true);
        OxyCli.withoutCallersChoices(builder.environment());
        builder.environment().remove("DOCKER_HOST");
        builder.environment().remove("XDG_RUNTIME_DIR");
        builder.environment().put("HOME", home.toString());
        builder.environment().put("OXY_STATE_DIR", home.resolve("state").toString());
        builder.environment().put("NO_COLOR", "1");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        return new Run(process.exitValue(), output);
    }
}
