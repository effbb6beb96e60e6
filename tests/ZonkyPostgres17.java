import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;

/**
 * zonky's PostgreSQL 17 server binaries (initdb, pg_ctl, postgres; no client tools), run by tests as the old
 * major of an embedded data directory: resolved by Maven from tests/postgres17/pom.xml and unpacked once into
 * target/postgres-17.
 */
final class ZonkyPostgres17 {
    private ZonkyPostgres17() {}

    private static Path bin;

    /** bin/ with initdb, pg_ctl and postgres 17. */
    static synchronized Path bin() throws Exception {
        if (bin != null) return bin;
        Path target = Path.of("target", "postgres-17").toAbsolutePath();
        if (!Files.exists(target.resolve(".complete"))) unpack(jar(), target);
        bin = target.resolve("bin");
        return bin;
    }

    /** The binaries' jar in the local Maven repository (offline first, as S3ProxyServer resolves its jars). */
    private static Path jar() throws Exception {
        Path output = Path.of("target", "postgres-17.classpath").toAbsolutePath();
        for (boolean offline : new boolean[] {true, false}) {
            List<String> command = new ArrayList<>(List.of("mvn", "-B", "-q", "-f", "tests/postgres17/pom.xml",
                "dependency:build-classpath", "-Dmdep.outputFile=" + output));
            if (offline) command.add(1, "-o");
            Process maven = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (maven.waitFor(5, TimeUnit.MINUTES) && maven.exitValue() == 0 && Files.exists(output)) return Path.of(Files.readString(output).strip());
        }
        throw new IllegalStateException("could not resolve zonky's PostgreSQL 17: mvn -f tests/postgres17/pom.xml dependency:build-classpath failed");
    }

    /** The jar holds postgres-linux-x86_64.txz; tar unpacks it (with its symlinks and modes) into a directory renamed at the end. */
    private static void unpack(Path jar, Path target) throws Exception {
        Path staging = Files.createTempDirectory(target.getParent(), ".postgres-17-");
        try (ZipFile zip = new ZipFile(jar.toFile()); InputStream txz = zip.getInputStream(zip.getEntry("postgres-linux-x86_64.txz"))) {
            Files.copy(txz, staging.resolve("postgres.txz"));
        }
        Process tar = new ProcessBuilder("tar", "-xJf", "postgres.txz").directory(staging.toFile()).redirectErrorStream(true).start();
        String output = new String(tar.getInputStream().readAllBytes());
        assertEquals(0, tar.waitFor(), "tar -xJf of zonky's PostgreSQL 17: " + output);
        Files.delete(staging.resolve("postgres.txz"));
        Files.createFile(staging.resolve(".complete"));
        StateDirectory.delete(target); // an unpack killed halfway
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
    }

    /** A new cluster (user postgres, password postgres) in dataDir, started on localhost:port with a database oxy. */
    static void initAndStart(Path dataDir, int port) throws Exception {
        Path passwordFile = Files.writeString(dataDir.resolveSibling(dataDir.getFileName() + ".pw"), "postgres");
        run("initdb", "-D", dataDir.toString(), "-U", "postgres", "--pwfile=" + passwordFile, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C");
        Files.delete(passwordFile);
        start(dataDir, port);
        try (var connection = OxyCli.connectLocal(port, "postgres")) {
            OxyCli.execute(connection, "CREATE DATABASE oxy");
        }
    }

    static void start(Path dataDir, int port) throws Exception {
        run("pg_ctl", "-D", dataDir.toString(), "-o", "-p " + port + " -c listen_addresses=localhost -c unix_socket_directories=''",
            "-l", dataDir.resolveSibling(dataDir.getFileName() + ".log").toString(), "-w", "start");
    }

    static void stop(Path dataDir) throws Exception {
        run("pg_ctl", "-D", dataDir.toString(), "-m", "fast", "-w", "stop");
    }

    /** Runs a PostgreSQL 17 program; as root in a user namespace, as PostgreSQL refuses to run as root. */
    private static void run(String program, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) command.addAll(List.of("unshare", "-U"));
        command.add(bin().resolve(program).toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertEquals(0, process.waitFor(), command + ":\n" + output);
    }
}
