///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES start.java stop.java status.java migrate_sqlite.java backup.java restore.java upgrade.java doctor.java maintain.java psql.java

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;

/** oxy: every oxy-ops script as a subcommand, so 'jbang oxy@org start' works like './jbang start.java'. */
@Command(name = "oxy", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
    description = "Run the Oxy app's PostgreSQL for its whole life.",
    footer = {"", "Examples:", "  ./jbang oxy start", "  ./jbang oxy status --json", "  ./jbang oxy stop"})
public class oxy implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    /** The subcommands, in the order the help lists them. */
    private static final Map<String, Supplier<Object>> SUBCOMMANDS = new LinkedHashMap<>();
    static {
        SUBCOMMANDS.put("start", start::new);
        SUBCOMMANDS.put("stop", stop::new);
        SUBCOMMANDS.put("status", status::new);
        SUBCOMMANDS.put("migrate_sqlite", migrate_sqlite::new);
        SUBCOMMANDS.put("backup", backup::new);
        SUBCOMMANDS.put("restore", restore::new);
        SUBCOMMANDS.put("upgrade", upgrade::new);
        SUBCOMMANDS.put("doctor", doctor::new);
        SUBCOMMANDS.put("maintain", maintain::new);
        SUBCOMMANDS.put("psql", psql::new);
    }

    public static void main(String... args) {
        Cli.run(commandLine(args), args);
    }

    /**
     * picocli reads every option of every subcommand by reflection when it is added (~0.15 s of CPU for all seven): 'oxy
     * status ...' gets status alone, 'oxy --version' none; anything else (help, a typo picocli suggests a fix for) gets them all.
     */
    static CommandLine commandLine(String... args) {
        CommandLine cli = new CommandLine(new oxy());
        String asked = args.length > 0 ? args[0] : "";
        if (SUBCOMMANDS.containsKey(asked)) return cli.addSubcommand(asked, SUBCOMMANDS.get(asked).get());
        if (args.length == 1 && (asked.equals("--version") || asked.equals("-V"))) return cli;
        SUBCOMMANDS.forEach((name, command) -> cli.addSubcommand(name, command.get()));
        return cli.addSubcommand(new HelpCommand());
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
