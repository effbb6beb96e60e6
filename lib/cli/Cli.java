// every command streams, and the serial collector grows the heap only as far as the live data needs (a 2 M-row
// migrate_sqlite peaks at the same ~140 MB RSS under a 256 MB or a 4 GB cap); the cap is high so that a single large
// value (an attachment up to PostgreSQL's 1 GB) fits; JAVA_TOOL_OPTIONS=-Xmx… lowers it
//JAVA_OPTIONS -Xms16m -XX:MaxRAMPercentage=75 -XX:+UseSerialGC

import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Help;

/**
 * Runs a picocli command the way every oxy-ops script does: errors as one or two plain lines and an exit
 * code from {@link ExitCode}, a stack trace only with --verbose, no colour under NO_COLOR, and libraries'
 * logging silenced unless --verbose (docker-java and Flyway log through slf4j).
 */
public final class Cli {
    private Cli() {}

    /** Libraries whose debug logging writes what goes over the wire; --verbose keeps them at info. */
    private static final List<String> TRANSPORT_LOGGERS = List.of("com.github.dockerjava", "software.amazon.awssdk", "org.apache.http", "org.apache.hc", "io.netty");

    public static int execute(Object command, String... args) {
        return execute(new CommandLine(command), args);
    }

    /** As above, for a command line already built (oxy adds its subcommands itself); the settings below reach them all. */
    public static int execute(CommandLine cli, String... args) {
        boolean verbose = Arrays.asList(args).contains("--verbose") || Arrays.asList(args).contains("-v");
        boolean json = Arrays.asList(args).contains("--json"); // then stdout is one JSON object, whatever goes wrong
        boolean quiet = Arrays.asList(args).contains("--quiet") || Arrays.asList(args).contains("-q"); // cron: an error is one line
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "debug" : "off");
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        // their debug lines carry request bodies and headers: containers' and execs' PGPASSWORD and POSTGRES_PASSWORD,
        // S3 session tokens, and every byte of a streamed dump
        if (verbose) for (String transport : TRANSPORT_LOGGERS) System.setProperty("org.slf4j.simpleLogger.log." + transport, "info");
        cli
            .setCaseInsensitiveEnumValuesAllowed(true)
            .setColorScheme(Help.defaultColorScheme(Console.colorWanted() ? Help.Ansi.ON : Help.Ansi.OFF))
            .setExecutionExceptionHandler((error, commandLine, parseResult) -> {
                int exitCode = report(error, verbose, quiet);
                if (json) printJsonError(error instanceof OxyError oxy ? oxy.getMessage() : "unexpected error: " + describe(error),
                    error instanceof OxyError oxy ? oxy.hint() : null, exitCode);
                return exitCode;
            })
            .setParameterExceptionHandler((error, parseArgs) -> {
                CommandLine failed = error.getCommandLine();
                String help = "see '" + failed.getCommandSpec().qualifiedName() + " --help'";
                String problem = error.getMessage().replaceFirst("^Error: ", ""); // picocli's ArgGroup messages say it themselves
                failed.getErr().println("error: " + problem);
                failed.getErr().println("  " + help);
                if (json) printJsonError(problem, help, ExitCode.USAGE);
                return ExitCode.USAGE;
            });
        return cli.execute(args);
    }

    /** Exits the JVM with the command's exit code: what each script's main does. */
    public static void run(Object command, String... args) {
        System.exit(execute(command, args));
    }

    public static void run(CommandLine cli, String... args) {
        System.exit(execute(cli, args));
    }

    static int report(Exception error, boolean verbose, boolean quiet) {
        Console console = Console.standard();
        if (error instanceof OxyError oxy) {
            console.fail(oxy.getMessage());
            if (!quiet || verbose) {
                oxy.details().forEach(line -> console.hint("| " + line));
                if (oxy.hint() != null) console.hint(oxy.hint());
            }
            if (verbose && oxy.getCause() != null) oxy.getCause().printStackTrace();
            return oxy.exitCode();
        }
        console.fail("unexpected error: " + describe(error));
        console.hint(verbose ? "stack trace follows" : "run again with --verbose for the stack trace");
        if (verbose) error.printStackTrace();
        return ExitCode.FAILED;
    }

    private static void printJsonError(String problem, String hint, int exitCode) {
        java.util.Map<String, Object> error = new java.util.LinkedHashMap<>();
        error.put("error", problem);
        if (hint != null) error.put("hint", hint);
        error.put("exitCode", exitCode);
        try {
            System.out.println(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(error));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** For counts and seconds that must be 1 or more (--timeout, --jobs): anything else is a usage error (exit 2). */
    public static final class AtLeastOne implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) { return atLeast(1, value); }
    }

    /** For counts that may be 0 (--keep-last 0): a negative one is a usage error (exit 2). */
    public static final class AtLeastZero implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) { return atLeast(0, value); }
    }

    private static int atLeast(int minimum, String value) {
        int number;
        try {
            number = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a whole number");
        }
        if (number < minimum) throw new CommandLine.TypeConversionException("'" + value + "' must be " + minimum + " or more");
        return number;
    }

    /** Undoes addShutdownHook once the work it guarded is done; when the JVM is already shutting down, the hook runs. */
    public static void removeShutdownHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs
        }
    }

    /** The result of work started beside other work; its own RuntimeException (an OxyError stays one) is rethrown as it was. */
    public static <T> T join(java.util.concurrent.CompletableFuture<T> work) {
        try {
            return work.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) throw cause;
            throw e;
        }
    }

    /** An argument as a POSIX shell reads it back, for commands we print to be pasted: 'oxy;drop' stays one word. */
    public static String shellQuote(String argument) {
        if (argument.matches("[A-Za-z0-9_./:@%+=,-]+")) return argument;
        return "'" + argument.replace("'", "'\\''") + "'";
    }

    /** An exception's message, with its root cause's when that says more. */
    public static String describe(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String message = error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
        if (root != error && root.getMessage() != null && !message.contains(root.getMessage())) {
            message += ": " + root.getMessage();
        }
        return message;
    }
}
