///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/**/*.java

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * doctor: is the database healthy? One screen of checks (✓ ! ✗ ?), each with its figure and, when something
 * is wrong, the command that helps. Reads only. --cancel / --terminate end a runaway session, after asking.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
    description = "Check the database's health: connections, long queries, locks, wraparound, vacuum, bloat, indexes, cache, slots, disk, backups.",
    footer = {"", "Exit codes: 0 healthy (every check OK, or UNKNOWN: not visible to this role);",
        "            20 at least one warning; 21 at least one critical check;",
        "            3 database does not answer; 2 bad option; 8 --cancel/--terminate refused or not confirmed.",
        "", "Examples:", "  ./jbang oxy doctor", "  ./jbang oxy doctor --json | jq '.checks[] | select(.level != \"ok\")'",
        "  ./jbang oxy doctor --long-query 5m --metrics-file /var/lib/node_exporter/oxy_doctor.prom --quiet",
        "  ./jbang oxy doctor --cancel 12345"})
public class doctor implements Callable<Integer> {

    @Mixin RuntimeOptions runtime;

    @Option(names = "--json", description = "Print one JSON object (checks with stable names; see the README) instead of text.")
    boolean json;

    @Option(names = "--metrics-file", paramLabel = "PATH",
        description = "Write Prometheus textfile metrics here (each check's level 0 ok, 1 warn, 2 crit, 3 unknown; the exit code; the time).")
    Path metricsFile;

    @Option(names = "--details", description = "Show the rows behind every check, not only those that are not OK.")
    boolean details;

    @Option(names = {"-q", "--quiet"}, description = "Print only the checks that are not OK (for cron and monitors).")
    boolean quiet;

    @Option(names = "--cancel", paramLabel = "PID", description = "Cancel the running query of this backend (the session stays); asks first.")
    Integer cancel;

    @Option(names = "--terminate", paramLabel = "PID", description = "End this backend's session (its transaction rolls back, its locks go); asks first.")
    Integer terminate;

    @Option(names = {"-y", "--yes"}, description = "Do not ask before --cancel or --terminate (scripts). Without a terminal they refuse unless given.")
    boolean yes;

    @Option(names = "--long-query", paramLabel = "DURATION", defaultValue = "1m", converter = DurationConverter.class,
        description = "A query, transaction or idle-in-transaction session older than this warns (default ${DEFAULT-VALUE}; 90s, 5m, 500ms).")
    Duration longQuery;

    @Option(names = "--lock-wait", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
        description = "A session waiting longer than this for another's lock warns (default ${DEFAULT-VALUE}).")
    Duration lockWait;

    @Option(names = "--connections-warn", paramLabel = "PERCENT", defaultValue = "80", converter = PercentConverter.class,
        description = "Connections in use, as a percentage of max_connections, that warn (default ${DEFAULT-VALUE}).")
    double connectionsWarn;

    @Option(names = "--connections-critical", paramLabel = "PERCENT", defaultValue = "95", converter = PercentConverter.class,
        description = "... that are critical (default ${DEFAULT-VALUE}).")
    double connectionsCritical;

    @Option(names = "--wraparound-warn", paramLabel = "PERCENT", defaultValue = "50", converter = PercentConverter.class,
        description = "Oldest transaction-ID age, as a percentage of the 2^31 wraparound horizon, that warns (default ${DEFAULT-VALUE}).")
    double wraparoundWarn;

    @Option(names = "--wraparound-critical", paramLabel = "PERCENT", defaultValue = "75", converter = PercentConverter.class,
        description = "... that is critical (default ${DEFAULT-VALUE}).")
    double wraparoundCritical;

    @Option(names = "--dead-tuples-warn", paramLabel = "PERCENT", defaultValue = "20", converter = PercentConverter.class,
        description = "Dead rows, as a percentage of a table's rows (1000 at least), that warn (default ${DEFAULT-VALUE}).")
    double deadTuplesWarn;

    @Option(names = "--bloat-warn", paramLabel = "PERCENT", defaultValue = "50", converter = PercentConverter.class,
        description = "Estimated bloat of a table or B-tree index, as a percentage of its size, that warns (default ${DEFAULT-VALUE}) ...")
    double bloatWarn;

    @Option(names = "--bloat-min-size", paramLabel = "SIZE", defaultValue = "10MB", converter = SizeConverter.class,
        description = "... when the bloat is at least this much (default ${DEFAULT-VALUE}).")
    long bloatMinSize;

    @Option(names = "--unused-index-min-size", paramLabel = "SIZE", defaultValue = "1MB", converter = SizeConverter.class,
        description = "A never-scanned index at least this big warns (default ${DEFAULT-VALUE}).")
    long unusedIndexMinSize;

    @Option(names = "--cache-hit-warn", paramLabel = "PERCENT", defaultValue = "95", converter = PercentConverter.class,
        description = "A cache hit ratio below this warns (default ${DEFAULT-VALUE}).")
    double cacheHitWarn;

    @Option(names = "--slot-wal-critical", paramLabel = "SIZE", defaultValue = "10GB", converter = SizeConverter.class,
        description = "WAL kept by one replication slot that is critical (default ${DEFAULT-VALUE}); any inactive slot warns.")
    long slotWalCritical;

    @Option(names = "--disk-free-warn", paramLabel = "PERCENT", defaultValue = "20", converter = PercentConverter.class,
        description = "Free space where the data lives below this warns (default ${DEFAULT-VALUE}).")
    double diskFreeWarn;

    @Option(names = "--disk-free-critical", paramLabel = "PERCENT", defaultValue = "10", converter = PercentConverter.class,
        description = "... below this is critical (default ${DEFAULT-VALUE}).")
    double diskFreeCritical;

    @Option(names = "--backup-max-age", paramLabel = "DURATION", defaultValue = "26h", converter = DurationConverter.class,
        description = "A newest backup older than this warns (default ${DEFAULT-VALUE}: a nightly backup and some slack).")
    Duration backupMaxAge;

    public static void main(String... args) {
        Cli.run(new doctor(), args);
    }

    @Override
    public Integer call() throws Exception {
        if (cancel != null && terminate != null) throw new OxyError(ExitCode.USAGE, "--cancel and --terminate go one at a time", "Give one of them.");
        DatabaseRuntime database = Runtimes.select(runtime);
        if (cancel != null) return signal(database, cancel, BackendSignal.Kind.CANCEL);
        if (terminate != null) return signal(database, terminate, BackendSignal.Kind.TERMINATE);
        Doctor.Findings findings;
        try {
            findings = Doctor.examine(database, runtime, thresholds());
        } catch (OxyError unavailable) {
            writeMetrics(database.url().database(), null, unavailable.exitCode());
            throw unavailable;
        }
        int exitCode = switch (findings.worst()) {
            case CRIT -> ExitCode.HEALTH_CRITICAL;
            case WARN -> ExitCode.HEALTH_WARNING;
            default -> ExitCode.OK;
        };
        writeMetrics(findings.database(), findings, exitCode);
        if (json) printJson(database, findings, exitCode);
        else printText(database, findings, exitCode);
        return exitCode;
    }

    private Thresholds thresholds() {
        if (connectionsCritical < connectionsWarn || wraparoundCritical < wraparoundWarn || diskFreeCritical > diskFreeWarn) {
            throw new OxyError(ExitCode.USAGE, "a critical threshold is milder than its warning one",
                "Give --connections-critical and --wraparound-critical at or above their -warn, --disk-free-critical at or below --disk-free-warn.");
        }
        return new Thresholds(longQuery, lockWait, connectionsWarn, connectionsCritical, wraparoundWarn, wraparoundCritical, deadTuplesWarn,
            bloatWarn, bloatMinSize, unusedIndexMinSize, cacheHitWarn, slotWalCritical, diskFreeWarn, diskFreeCritical, backupMaxAge);
    }

    // --- cancel / terminate ---

    private int signal(DatabaseRuntime database, int pid, BackendSignal.Kind kind) throws SQLException {
        Console console = Console.standard();
        try (Connection connection = database.url().connect()) {
            BackendSignal.Backend backend = BackendSignal.find(connection, pid)
                .orElseThrow(() -> new OxyError(ExitCode.REFUSED, "no session with pid " + pid + " on this server (it may have ended)",
                    "See the sessions: ./jbang oxy doctor --details; nothing was done."));
            console.info(backend.describe());
            if (!yes) {
                Console.requireTyped("yes", "Really " + kind.verb() + " pid " + pid + "? Type 'yes': ",
                    new OxyError(ExitCode.REFUSED, "no terminal to confirm: " + kind.verb() + " pid " + pid, "Pass --yes to do it from a script; nothing was done."),
                    "not confirmed; nothing was done");
            }
            if (!BackendSignal.send(connection, backend, kind, Duration.ofSeconds(10))) {
                throw new OxyError(ExitCode.FAILED, "pid " + pid + " did not " + (kind == BackendSignal.Kind.CANCEL ? "stop its query" : "end") + " within 10 s",
                    kind == BackendSignal.Kind.CANCEL ? "It may be in a step that does not check for cancels; try --terminate " + pid + "." : "Look at the server log.");
            }
            console.ok(kind == BackendSignal.Kind.CANCEL ? "Cancelled the query of pid " + pid + " (its session stays)" : "Terminated pid " + pid + " (its transaction rolled back)");
            return ExitCode.OK;
        } catch (SQLException e) {
            throw database.url().unavailable(e);
        }
    }

    // --- output ---

    private void printText(DatabaseRuntime database, Doctor.Findings findings, int exitCode) {
        Console console = Console.standard();
        Visibility who = findings.visibility();
        if (!quiet) {
            console.plain("PostgreSQL " + findings.serverVersion() + ", database " + findings.database() + " (" + database.name() + " runtime), as "
                + who.role() + (who.superuser() ? " (superuser)" : who.seesAllSessions() ? " (pg_monitor)" : " (not a superuser: some checks are UNKNOWN)"));
        }
        for (Check check : findings.checks()) {
            boolean ok = check.level() == Check.Level.OK;
            if (quiet && ok) continue;
            String line = String.format("%-29s %s", check.kind().title(), check.figure());
            switch (check.level()) {
                case OK -> console.ok(line);
                case WARN -> console.warn(line);
                case CRIT -> console.bad(line);
                case UNKNOWN -> console.plain("? " + line);
            }
            if (!ok || details) check.details().forEach(detail -> console.plain("      " + detail));
            if (check.advice() != null) console.plain("      \u2192 " + check.advice());
        }
        console.plain(findings.count(Check.Level.OK) + " ok, " + findings.count(Check.Level.WARN) + " warning(s), " + findings.count(Check.Level.CRIT)
            + " critical, " + findings.count(Check.Level.UNKNOWN) + " unknown (exit " + exitCode + ")");
    }

    private void printJson(DatabaseRuntime database, Doctor.Findings findings, int exitCode) throws Exception {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("runtime", database.name());
        report.put("database", findings.database());
        report.put("serverVersion", findings.serverVersion());
        Map<String, Object> role = new LinkedHashMap<>();
        role.put("name", findings.visibility().role());
        role.put("superuser", findings.visibility().superuser());
        role.put("seesAllSessions", findings.visibility().seesAllSessions());
        role.put("seesDataDirectory", findings.visibility().seesDataDirectory());
        report.put("role", role);
        List<Map<String, Object>> checks = new ArrayList<>();
        for (Check check : findings.checks()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", check.kind().key());
            entry.put("level", check.level().name().toLowerCase(java.util.Locale.ROOT));
            entry.put("figure", check.figure());
            entry.put("advice", check.advice());
            entry.put("details", check.details());
            checks.add(entry);
        }
        report.put("checks", checks);
        Map<String, Object> summary = new LinkedHashMap<>();
        for (Check.Level level : Check.Level.values()) summary.put(level.name().toLowerCase(java.util.Locale.ROOT), findings.count(level));
        report.put("summary", summary);
        report.put("exitCode", exitCode);
        System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
    }

    /** Prometheus textfile, rewritten on every run (a database that does not answer: up 0 and no check levels). */
    private void writeMetrics(String database, Doctor.Findings findings, int exitCode) {
        if (metricsFile == null) return;
        List<PrometheusTextfile.Sample> samples = new ArrayList<>();
        samples.add(PrometheusTextfile.Sample.of("oxy_doctor_last_run_timestamp_seconds", String.valueOf(Instant.now().toEpochMilli() / 1000.0), "database", database));
        samples.add(PrometheusTextfile.Sample.of("oxy_doctor_database_up", findings == null ? "0" : "1", "database", database));
        samples.add(PrometheusTextfile.Sample.of("oxy_doctor_exit_code", String.valueOf(exitCode), "database", database));
        if (findings != null) {
            for (Check check : findings.checks()) {
                samples.add(PrometheusTextfile.Sample.of("oxy_doctor_check_level", String.valueOf(check.level().number()), "database", database, "check", check.kind().key()));
            }
        }
        PrometheusTextfile.write(metricsFile, samples, Console.standard());
    }

    // --- option types ---

    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return Thresholds.parseDuration(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    static final class SizeConverter implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return Thresholds.parseBytes(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    static final class PercentConverter implements CommandLine.ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            try {
                double percent = Double.parseDouble(value.strip().replaceFirst("%$", ""));
                if (percent >= 0 && percent <= 100) return percent;
            } catch (NumberFormatException e) {
                // said below
            }
            throw new CommandLine.TypeConversionException("'" + value + "' is not a percentage from 0 to 100");
        }
    }
}
