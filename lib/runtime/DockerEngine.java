import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The Docker Engine API, found the way Oxy finds it: DOCKER_HOST, then the sockets of Docker Desktop,
 * Colima, Rancher Desktop, Podman and OrbStack, then /var/run/docker.sock.
 * On a Unix socket the daemon is pinged with one plain HTTP request; docker-java's client (about 0.3 s of
 * class loading and set-up) is made only when a command first drives the engine: status never does.
 */
public final class DockerEngine {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration PING_TIMEOUT = Duration.ofSeconds(10);

    private final String host;
    private final String version;
    private DockerClient client; // made on first use

    private DockerEngine(DockerClient client, String host, String version) {
        this.client = client;
        this.host = host;
        this.version = version;
    }

    public synchronized DockerClient client() {
        if (client == null) client = newClient(host);
        return client;
    }

    // docker-java answers "not there" with an exception; these say it as a value

    public boolean containerExists(String name) {
        try {
            client().inspectContainerCmd(name).exec();
            return true;
        } catch (com.github.dockerjava.api.exception.NotFoundException e) {
            return false;
        }
    }

    public boolean volumeExists(String name) {
        try {
            client().inspectVolumeCmd(name).exec();
            return true;
        } catch (com.github.dockerjava.api.exception.NotFoundException e) {
            return false;
        }
    }

    /** Removes a container, whatever it runs, with its anonymous volumes (named ones stay); none there is fine. */
    public void removeContainerIfExists(String name) {
        try {
            client().removeContainerCmd(name).withForce(true).withRemoveVolumes(true).exec();
        } catch (com.github.dockerjava.api.exception.NotFoundException ignored) {
            // not there
        }
    }

    public void removeVolumeIfExists(String name) {
        try {
            client().removeVolumeCmd(name).exec();
        } catch (com.github.dockerjava.api.exception.NotFoundException ignored) {
            // never created
        }
    }

    public void startContainer(String name) { client().startContainerCmd(name).exec(); }

    public void renameContainer(String name, String newName) { client().renameContainerCmd(name).withName(newName).exec(); }

    /** Removes a volume that must be there: its absence is an error, not nothing to do. */
    public void removeVolume(String name) { client().removeVolumeCmd(name).exec(); }

    public String host() { return host; }
    public String version() { return version; }

    /** Socket paths to try, in Oxy's order, when DOCKER_HOST is not set. */
    static List<Path> candidateSockets() {
        String home = System.getenv("HOME") != null ? System.getenv("HOME") : System.getProperty("user.home");
        List<Path> sockets = new ArrayList<>();
        sockets.add(Path.of(home, ".docker/run/docker.sock"));                           // Docker Desktop
        sockets.add(Path.of(home, ".colima/default/docker.sock"));                       // Colima
        sockets.add(Path.of(home, ".rd/docker.sock"));                                   // Rancher Desktop
        sockets.add(Path.of(home, ".local/share/containers/podman/machine/podman.sock")); // Podman machine
        sockets.add(Path.of(home, ".orbstack/run/docker.sock"));                         // OrbStack
        sockets.add(Path.of("/var/run/docker.sock"));
        sockets.add(Path.of("/run/docker.sock"));
        String runtimeDir = System.getenv("XDG_RUNTIME_DIR");
        if (runtimeDir != null) sockets.add(Path.of(runtimeDir, "podman/podman.sock"));  // rootless Podman on Linux
        return sockets;
    }

    /** DOCKER_HOST when set, else the first socket file that exists, else the standard one. */
    public static String locate() {
        String fromEnv = System.getenv("DOCKER_HOST");
        if (fromEnv != null && !fromEnv.isBlank()) return fromEnv;
        return candidateSockets().stream().filter(Files::exists).findFirst()
            .map(path -> "unix://" + path).orElse("unix:///var/run/docker.sock");
    }

    /** Connects and pings the daemon, or says why not (Docker missing, or its daemon down). */
    public static DockerEngine connect() {
        String host = locate();
        try {
            if (host.startsWith("unix://")) return new DockerEngine(null, host, versionOverUnixSocket(Path.of(host.substring("unix://".length()))));
            DockerClient client = newClient(host); // tcp:// (maybe TLS) and the rest: docker-java knows them
            return new DockerEngine(client, host, client.versionCmd().exec().getVersion());
        } catch (RuntimeException | IOException e) {
            throw unavailable(host, e);
        }
    }

    private static DockerClient newClient(String host) {
        DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(host).build();
        ZerodepDockerHttpClient http = new ZerodepDockerHttpClient.Builder()
            .dockerHost(config.getDockerHost())
            .sslConfig(config.getSSLConfig())
            .connectionTimeout(CONNECT_TIMEOUT)
            .responseTimeout(Duration.ofMinutes(10)) // image pulls stream for a long time
            .build();
        return DockerClientImpl.getInstance(config, http);
    }

    /** GET /version as HTTP/1.0 (the daemon answers, then closes); the top-level "Version" of its JSON. */
    static String versionOverUnixSocket(Path socket) throws IOException {
        return versionIn(getOverUnixSocket(socket, "/version"));
    }

    /** The raw HTTP answer to one GET as HTTP/1.0 on a Unix socket (the daemon answers, then closes). */
    private static String getOverUnixSocket(Path socket, String path) throws IOException {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            // a daemon that accepts but never answers: closing the channel ends the blocked read
            CompletableFuture<Void> watchdog = CompletableFuture.runAsync(() -> closeQuietly(channel),
                CompletableFuture.delayedExecutor(PING_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
            try {
                channel.write(ByteBuffer.wrap(("GET " + path + " HTTP/1.0\r\nHost: docker\r\n\r\n").getBytes(StandardCharsets.US_ASCII)));
                InputStream in = Channels.newInputStream(channel);
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } finally {
                watchdog.cancel(false);
            }
        }
    }

    /**
     * GET /containers/{name}/json on a Unix socket, without docker-java's client (~0.4 s of set-up, for status): the
     * inspect JSON, or empty when there is no such container. An IOException when not on a Unix socket or the answer is
     * neither: docker-java is asked then.
     */
    public Optional<com.fasterxml.jackson.databind.JsonNode> inspectContainerOverUnixSocket(String name) throws IOException {
        if (!host.startsWith("unix://") || !name.matches(RuntimeOptions.DOCKER_NAME)) throw new IOException("not a plain request on a Unix socket");
        String response = getOverUnixSocket(Path.of(host.substring("unix://".length())), "/containers/" + name + "/json");
        String statusLine = response.lines().findFirst().orElse("");
        int bodyStart = response.indexOf("\r\n\r\n");
        if (statusLine.matches("HTTP/1\\.[01] 404\\b.*")) return Optional.empty();
        if (bodyStart < 0 || !statusLine.matches("HTTP/1\\.[01] 200\\b.*")) throw new IOException("unexpected answer: " + statusLine);
        return Optional.of(new com.fasterxml.jackson.databind.ObjectMapper().readTree(response.substring(bodyStart + 4)));
    }

    /** The daemon's version from a raw HTTP answer to GET /version; anything else is an IOException. */
    static String versionIn(String response) throws IOException {
        int bodyStart = response.indexOf("\r\n\r\n");
        String statusLine = response.lines().findFirst().orElse("");
        if (bodyStart < 0 || !statusLine.matches("HTTP/1\\.[01] 200\\b.*")) {
            throw new IOException("unexpected answer to GET /version: " + (statusLine.isEmpty() ? "nothing" : statusLine));
        }
        try (com.fasterxml.jackson.core.JsonParser json = new com.fasterxml.jackson.core.JsonFactory().createParser(response.substring(bodyStart + 4))) {
            int depth = 0;
            for (var token = json.nextToken(); token != null; token = json.nextToken()) {
                if (token.isStructStart()) depth++;
                else if (token.isStructEnd()) depth--;
                else if (depth == 1 && token == com.fasterxml.jackson.core.JsonToken.FIELD_NAME && "Version".equals(json.currentName())) {
                    json.nextToken();
                    return json.getText();
                }
            }
        }
        throw new IOException("the answer to GET /version names no Version");
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closed already
        }
    }

    public static Optional<DockerEngine> tryConnect() {
        try {
            return Optional.of(connect());
        } catch (OxyError e) {
            return Optional.empty();
        }
    }

    /** Pulls an image unless it is already here. */
    public void ensureImage(String image, Console console) {
        DockerClient client = client();
        try {
            client.inspectImageCmd(image).exec();
            return;
        } catch (com.github.dockerjava.api.exception.NotFoundException e) {
            // pulled below
        }
        console.step("Pulling " + image);
        int colon = image.lastIndexOf(':');
        boolean tagged = colon > image.lastIndexOf('/');
        try {
            client.pullImageCmd(tagged ? image.substring(0, colon) : image)
                .withTag(tagged ? image.substring(colon + 1) : "latest")
                .start().awaitCompletion(10, java.util.concurrent.TimeUnit.MINUTES);
            client.inspectImageCmd(image).exec();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OxyError(ExitCode.INTERRUPTED, "interrupted while pulling " + image, null, e);
        } catch (RuntimeException e) {
            throw new OxyError(ExitCode.FAILED, "could not pull the image " + image + " (" + Cli.describe(e).strip() + ")",
                "Check the network and the image name, or load the image yourself (docker pull " + image + ").", e);
        }
    }

    static OxyError unavailable(String host, Exception cause) {
        boolean socketMissing = host.startsWith("unix://") && !Files.exists(Path.of(host.substring("unix://".length())));
        if (socketMissing && !Processes.onPath("docker") && System.getenv("DOCKER_HOST") == null) {
            return new OxyError(ExitCode.DOCKER_UNAVAILABLE, "Docker is not installed (no docker command, no Docker socket)",
                "Install Docker (https://docs.docker.com/get-docker/), or use --runtime embedded (no Docker needed).", cause);
        }
        return new OxyError(ExitCode.DOCKER_UNAVAILABLE, "the Docker daemon does not answer at " + host,
            "Start Docker (Docker Desktop, 'sudo systemctl start docker', 'colima start', ...), set DOCKER_HOST, "
                + "or use --runtime embedded.", cause);
    }
}
