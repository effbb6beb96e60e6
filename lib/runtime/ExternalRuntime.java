import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A PostgreSQL someone else runs (a managed service, another machine): reached by URL, never started or stopped. */
public final class ExternalRuntime implements DatabaseRuntime {
    private final PostgresUrl url;

    public ExternalRuntime(RuntimeOptions options) {
        if (options.url == null || options.url.isBlank()) {
            throw new OxyError(ExitCode.USAGE, "the external runtime needs a database URL",
                "Pass --url " + PostgresUrl.EXPECTED + " or set OXY_DATABASE_URL.");
        }
        this.url = PostgresUrl.parse(options.url);
    }

    @Override public String name() { return "external"; }

    @Override public PostgresUrl url() { return url; }

    @Override public boolean isLocal() { return false; }

    @Override public boolean serverExists() { return true; }

    @Override
    public boolean start(Console console, Duration timeout) {
        console.ok("Using external PostgreSQL at " + url);
        Readiness.awaitExternal(console, url, timeout);
        return false;
    }

    @Override
    public boolean stop(Console console) {
        console.info("The external PostgreSQL at " + url.host() + ":" + url.port() + " is not managed here; nothing to stop.");
        return false;
    }

    @Override
    public void stopNow() {}

    @Override
    public Report report() {
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("host", url.host());
        facts.put("port", url.port());
        Map<String, String> commands = new LinkedHashMap<>();
        commands.put("psql", "psql " + Cli.shellQuote(url.withoutPassword().toString()) + "   (password from PGPASSWORD or ~/.pgpass)");
        return new Report(true, facts, List.of(), commands);
    }
}
