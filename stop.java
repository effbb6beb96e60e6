///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/**/*.java

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** stop: stops the PostgreSQL that 'start --detach' left running, in any runtime; the data is kept. */
@Command(name = "stop", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
    description = "Stop the local PostgreSQL that 'start --detach' left running. The data is kept.",
    footer = {"", "Examples:", "  ./jbang oxy stop", "  ./jbang oxy stop --runtime embedded"})
public class stop implements Callable<Integer> {

    @Mixin RuntimeOptions runtime;

    public static void main(String... args) {
        Cli.run(new stop(), args);
    }

    @Override
    public Integer call() {
        Console console = Console.standard();
        DatabaseRuntime database = Runtimes.select(runtime);
        if (!database.stop(console) && !database.name().equals("external")) {
            console.ok("PostgreSQL (" + database.name() + ") is not running; nothing to stop");
        }
        return ExitCode.OK;
    }
}
