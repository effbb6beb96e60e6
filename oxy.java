///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES start.java stop.java status.java migrate_sqlite.java backup.java restore.java upgrade.java

import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;

/** oxy: every oxy-ops script as a subcommand, so 'jbang oxy@org start' works like './jbang start.java'. */
@Command(name = "oxy", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
    description = "Run the Oxy app's PostgreSQL for its whole life.",
    subcommands = {start.class, stop.class, status.class, migrate_sqlite.class, backup.class, restore.class, upgrade.class, HelpCommand.class},
    footer = {"", "Examples:", "  ./jbang oxy start", "  ./jbang oxy status --json", "  ./jbang oxy stop"})
public class oxy implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    public static void main(String... args) {
        Cli.run(new oxy(), args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
