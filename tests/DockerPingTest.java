import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** How the plain GET /version over the Docker socket is read (status's ping, without docker-java): no daemon needed. */
@Tag("unit")
class DockerPingTest {
    /** Docker 20.10's answer, as recorded here: the engine's own Version comes after every component's. */
    static final String DOCKER_20_10 = "HTTP/1.0 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\n"
        + "Server: Docker/20.10.24+dfsg1 (linux)\r\nContent-Length: 794\r\n\r\n"
        + "{\"Platform\":{\"Name\":\"\"},\"Components\":[{\"Name\":\"Engine\",\"Version\":\"20.10.24+dfsg1\",\"Details\":{\"ApiVersion\":\"1.41\","
        + "\"GoVersion\":\"go1.19.8\",\"KernelVersion\":\"6.18.44\",\"MinAPIVersion\":\"1.12\",\"Os\":\"linux\"}},"
        + "{\"Name\":\"containerd\",\"Version\":\"1.6.20~ds1\",\"Details\":{\"GitCommit\":\"1.6.20~ds1-1+deb12u3\"}}],"
        + "\"Version\":\"20.10.24+dfsg1\",\"ApiVersion\":\"1.41\",\"MinAPIVersion\":\"1.12\",\"GoVersion\":\"go1.19.8\",\"Os\":\"linux\"}\n";

    @Test
    void readsTheEnginesTopLevelVersionNotAComponents() throws IOException {
        assertEquals("20.10.24+dfsg1", DockerEngine.versionIn(DOCKER_20_10));
        String componentFirst = DOCKER_20_10.replace("\"Version\":\"20.10.24+dfsg1\",\"ApiVersion\"", "\"Version\":\"5.4.2\",\"ApiVersion\"");
        assertEquals("5.4.2", DockerEngine.versionIn(componentFirst), "the top-level Version, wherever the components put theirs");
    }

    @Test
    void anythingButA200WithAVersionIsNoDaemon() {
        IOException notFound = assertThrows(IOException.class,
            () -> DockerEngine.versionIn("HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n\r\n404 page not found\n"));
        assertTrue(notFound.getMessage().contains("HTTP/1.0 404 Not Found"), notFound.getMessage());
        assertThrows(IOException.class, () -> DockerEngine.versionIn(""), "a socket closed without an answer");
        assertThrows(IOException.class, () -> DockerEngine.versionIn("HTTP/1.0 200 OK\r\n\r\n{\"ApiVersion\":\"1.41\"}"));
    }
}
