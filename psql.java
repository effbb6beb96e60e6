///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/**/*.java

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * psql: an interactive psql on the app's server and database. docker runtime: psql inside the container
 * (docker exec -it; the container has the psql of the server's major); embedded and external: the host's
 * newest psql. The password goes in PGPASSWORD of the child's environment only, never on a command line.
 */
@Command(name = "psql", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
    description = "Open psql on the right server and database (docker: inside the container; embedded, external: the host's psql).",
    footer = {"", "Arguments after -- go to psql as they are (-c, -f, -X ...).",
        "Exit codes: psql's own (0 ok, 1 an error in -c/-f, 2 connection lost, 3 an error with ON_ERROR_STOP);",
        "            3 database does not answer; 11 no psql on this host (and not the docker runtime).",
        "", "Examples:", "  ./jbang oxy psql", "  ./jbang oxy psql -- -c 'SELECT count(*) FROM users'", "  ./jbang oxy psql --runtime external --url postgresql://app@db.example.com/app"})
public class psql implements Callable<Integer> {

    @Mixin RuntimeOptions runtime;

    @Parameters(paramLabel = "PSQL_ARGS", arity = "0..*", description = "Passed to psql (after --).")
    List<String> psqlArguments = new ArrayList<>();

    public static void main(String... args) {
        Cli.run(new psql(), args);
    }

    @Override
    public Integer call() throws Exception {
        DatabaseRuntime database = Runtimes.select(runtime);
        PostgresUrl url = database.url();
        ProcessBuilder psql = database.runningContainer().isPresent() && dockerCli().isPresent()
            ? inContainer(database, url) : onHost(database, url);
        psql.inheritIO();
        // psql handles Ctrl+C itself (it cancels the running query); this JVM must not end on it
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), sun.misc.SignalHandler.SIG_IGN);
        return psql.start().waitFor();
    }

    /** docker exec into the server's container; -e NAME without a value takes it from the docker CLI's environment, set below. */
    private ProcessBuilder inContainer(DatabaseRuntime database, PostgresUrl url) {
        Map<String, String> libpq = PostgresTools.libpqEnvironment(url, "127.0.0.1", 5432);
        libpq.put("PGAPPNAME", "oxy-psql");
        List<String> command = new ArrayList<>(List.of(dockerCli().get(), "exec", "-i"));
        if (Console.isTerminal()) command.add("-t");
        libpq.keySet().forEach(name -> command.addAll(List.of("-e", name)));
        command.add(database.runningContainer().get().getName().replaceFirst("^/", ""));
        command.add("psql");
        command.addAll(psqlArguments);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(libpq);
        database.dockerEngine().ifPresent(engine -> builder.environment().put("DOCKER_HOST", engine.host()));
        return builder;
    }

    private ProcessBuilder onHost(DatabaseRuntime database, PostgresUrl url) {
        PostgresTools.HostCandidate tools = PostgresTools.hostCandidates().stream().filter(c -> Files.isExecutable(c.bin().resolve("psql"))).findFirst()
            .orElseThrow(() -> new OxyError(ExitCode.TOOLS_MISSING, "no psql on this host for the " + database.name() + " runtime",
                "Install the PostgreSQL client (Debian/Ubuntu: apt install postgresql-client; macOS: brew install libpq), or use the docker runtime."));
        Map<String, String> libpq = PostgresTools.libpqEnvironment(url, url.host(), url.port());
        libpq.put("PGAPPNAME", "oxy-psql");
        List<String> command = new ArrayList<>(List.of(tools.bin().resolve("psql").toString()));
        command.addAll(psqlArguments);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(libpq);
        return builder;
    }

    /** The docker CLI on PATH: it gives psql a real terminal (raw mode, resize) that the Engine API from Java cannot. */
    private static Optional<String> dockerCli() {
        String path = System.getenv("PATH");
        if (path == null) return Optional.empty();
        return java.util.Arrays.stream(path.split(java.io.File.pathSeparator)).map(dir -> java.nio.file.Path.of(dir, "docker"))
            .filter(Files::isExecutable).map(java.nio.file.Path::toString).findFirst();
    }
}
