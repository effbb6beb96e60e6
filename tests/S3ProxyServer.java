import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 API server for each test: S3Proxy (org.gaul:s3proxy, filesystem storage) in its own JVM on a
 * free port, with a fresh key pair and one bucket. Unsigned or wrongly signed requests get 403, as from
 * AWS. It can be killed and started again on the same port and data (a store that dies mid-upload).
 */
final class S3ProxyServer implements BeforeEachCallback, AfterEachCallback {
    static final String BUCKET = "oxy-backups";
    private static String classpath;

    private Path directory;
    private int port;
    private String accessKey;
    private String secretKey;
    private Process process;

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        directory = Files.createTempDirectory("oxy-s3proxy-");
        Files.createDirectories(directory.resolve("data"));
        port = OxyCli.freePort();
        accessKey = "test-" + UUID.randomUUID().toString().substring(0, 8);
        secretKey = UUID.randomUUID().toString();
        Files.writeString(directory.resolve("s3proxy.conf"), String.join("\n",
            "s3proxy.endpoint=http://127.0.0.1:" + port,
            "s3proxy.authorization=aws-v2-or-v4",
            "s3proxy.identity=" + accessKey,
            "s3proxy.credential=" + secretKey,
            "jclouds.provider=filesystem",
            "jclouds.filesystem.basedir=" + directory.resolve("data")) + "\n");
        start();
        try (S3Client s3 = client()) {
            s3.createBucket(request -> request.bucket(BUCKET));
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        kill();
        if (directory != null) StateDirectory.delete(directory);
    }

    /** Starts (again) on the same port and data; returns once it answers HTTP. */
    void start() throws Exception {
        process = new ProcessBuilder(OxyCli.javaBinary(), "-Xmx256m", "-cp", classpath(), "org.gaul.s3proxy.Main",
            "--properties", directory.resolve("s3proxy.conf").toString())
            .redirectErrorStream(true).redirectOutput(directory.resolve("s3proxy.log").toFile()).start();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        Await.until(Duration.ofSeconds(90), () -> {
            if (!process.isAlive()) throw new IllegalStateException("S3Proxy exited: " + Files.readString(directory.resolve("s3proxy.log")));
            try {
                // unsigned: any answer (403) proves the server is up and checks signatures
                return http.send(HttpRequest.newBuilder(URI.create(endpoint() + "/")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() > 0;
            } catch (IOException notYet) {
                return false;
            }
        }, () -> "S3Proxy answering on port " + port + " (log: " + directory.resolve("s3proxy.log") + ")");
    }

    /** kill -9: the store vanishes mid-request. */
    void kill() throws InterruptedException {
        if (process == null) return;
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    String endpoint() { return "http://127.0.0.1:" + port; }

    String location(String prefix) { return "s3://" + BUCKET + "/" + prefix; }

    /** Where an object's bytes lie on disk (filesystem storage): for editing them by hand. */
    Path objectFile(String key) { return directory.resolve("data").resolve(BUCKET).resolve(key); }

    /** The environment a user sets: the standard AWS variables, nothing in flags. */
    Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("AWS_ACCESS_KEY_ID", accessKey);
        env.put("AWS_SECRET_ACCESS_KEY", secretKey);
        env.put("AWS_ENDPOINT_URL", endpoint());
        env.put("AWS_REGION", "us-east-1");
        return env;
    }

    String secretKey() { return secretKey; }

    S3Client client() {
        return S3Client.builder().endpointOverride(URI.create(endpoint())).region(Region.US_EAST_1).forcePathStyle(true)
            .requestChecksumCalculation(software.amazon.awssdk.core.checksums.RequestChecksumCalculation.WHEN_REQUIRED)
            .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey))).build();
    }

    /** Keys under the prefix, sorted. */
    List<String> keys(String prefix) {
        try (S3Client s3 = client()) {
            return s3.listObjectsV2Paginator(request -> request.bucket(BUCKET).prefix(prefix + "/")).contents().stream()
                .map(o -> o.key().substring(prefix.length() + 1)).sorted().toList();
        }
    }

    /** S3Proxy's jars, resolved once per test JVM by Maven from tests/s3proxy/pom.xml (offline when already in ~/.m2). */
    private static synchronized String classpath() throws Exception {
        if (classpath != null) return classpath;
        Path output = Path.of("target", "s3proxy.classpath").toAbsolutePath();
        for (boolean offline : new boolean[] {true, false}) {
            List<String> command = new java.util.ArrayList<>(List.of("mvn", "-B", "-q", "-f", "tests/s3proxy/pom.xml",
                "dependency:build-classpath", "-Dmdep.outputFile=" + output));
            if (offline) command.add(1, "-o");
            Process maven = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (maven.waitFor(5, TimeUnit.MINUTES) && maven.exitValue() == 0 && Files.exists(output)) {
                classpath = Files.readString(output).strip();
                return classpath;
            }
        }
        throw new IllegalStateException("could not resolve S3Proxy's classpath: mvn -f tests/s3proxy/pom.xml dependency:build-classpath failed");
    }
}
