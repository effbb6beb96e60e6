import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Debian's PostgreSQL 15 (server and client tools), run by tests as a user's own older server. */
final class HostPostgres15 {
    static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");

    private HostPostgres15() {}

    static void assumeInstalled() {
        assumeTrue(Files.isExecutable(BIN.resolve("pg_ctl")) && Files.isExecutable(BIN.resolve("pg_dump")),
            "needs Debian's postgresql-15 (server and client tools)");
    }

    /** A new cluster (user postgres, password postgres) in dataDir, started on localhost:port with a database oxy. */
    static void initAndStart(Path dataDir, int port) throws Exception {
        initAndStart(dataDir, port, List.of(), List.of());
    }

    /** The same, with more initdb options (--data-checksums) and server settings ("max_connections=20"). */
    static void initAndStart(Path dataDir, int port, List<String> initdbOptions, List<String> settings) throws Exception {
        Path passwordFile = Files.writeString(dataDir.resolveSibling(dataDir.getFileName() + ".pw"), "postgres");
        List<String> initdb = new ArrayList<>(List.of("-D", dataDir.toString(), "-U", "postgres", "--pwfile=" + passwordFile, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C"));
        initdb.addAll(initdbOptions);
        run("initdb", initdb.toArray(String[]::new));
        Files.delete(passwordFile);
        StringBuilder options = new StringBuilder("-p " + port + " -c unix_socket_directories=''");
        settings.forEach(setting -> options.append(" -c ").append(setting));
        run("pg_ctl", "-D", dataDir.toString(), "-o", options.toString(),
            "-l", dataDir.resolveSibling(dataDir.getFileName() + ".log").toString(), "-w", "start");
        try (var connection = OxyCli.connectLocal(port, "postgres")) {
            OxyCli.execute(connection, "CREATE DATABASE oxy");
        }
    }

    /** Stops the server running on dataDir, if one is (immediate shutdown: SIGQUIT to the postmaster), and waits for it to exit. */
    static void stopIfRunning(Path dataDir) throws Exception {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) return;
        long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).strip());
        new ProcessBuilder("kill", "-QUIT", String.valueOf(pid)).start().waitFor();
        ProcessHandle.of(pid).ifPresent(p -> p.onExit().join());
    }

    /** Runs a PostgreSQL 15 program; as root in a user namespace, as PostgreSQL refuses to run as root. */
    static void run(String program, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) command.addAll(List.of("unshare", "-U"));
        command.add(BIN.resolve(program).toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertEquals(0, process.waitFor(), command + ":\n" + output);
    }
}
