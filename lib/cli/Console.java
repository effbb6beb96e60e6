import java.io.PrintStream;

/**
 * What the commands print: "✓ step done" lines in the spirit of the Oxy guide, warnings, and errors.
 * Colour only on a terminal and never with NO_COLOR; nothing but errors with --quiet; nothing at all
 * on stdout when a command prints --json (its steps then go to stderr).
 */
public final class Console {
    private final PrintStream out;
    private final PrintStream err;
    private final boolean color;
    private final boolean quiet;

    private Console(PrintStream out, PrintStream err, boolean color, boolean quiet) {
        this.out = out;
        this.err = err;
        this.color = color;
        this.quiet = quiet;
    }

    public static Console standard() { return new Console(System.out, System.err, colorWanted(), false); }

    /** For --json: steps to stderr so stdout holds the JSON only. */
    public static Console forJson() { return new Console(System.err, System.err, colorWanted(), false); }

    public Console quiet(boolean quiet) { return new Console(out, err, color, quiet); }

    /** Says nothing at all: for a step done again whose findings were already said. */
    public static Console silent() {
        java.io.PrintStream nowhere = new java.io.PrintStream(java.io.OutputStream.nullOutputStream());
        return new Console(nowhere, nowhere, false, true);
    }

    public static boolean isTerminal() { return System.console() != null; }

    /** The user types answer at the prompt on a terminal; without a terminal, noTerminal is thrown (exit 8). */
    public static void requireTyped(String answer, String prompt, OxyError noTerminal, String notConfirmed) {
        java.io.Console terminal = System.console();
        if (terminal == null) throw noTerminal;
        String typed = terminal.readLine("%s", prompt);
        if (typed == null || !typed.strip().equals(answer)) throw new OxyError(ExitCode.REFUSED, notConfirmed, null);
    }

    static boolean colorWanted() {
        String noColor = System.getenv("NO_COLOR");
        return isTerminal() && (noColor == null || noColor.isEmpty()) && !"dumb".equals(System.getenv("TERM"));
    }

    public void ok(String message) { line("\u2713", "32", message); }
    public void info(String message) { line(" ", null, message); }
    public void step(String message) { line("\u2192", "36", message); }
    public void warn(String message) { if (!quiet) out.println(paint("33", "! " + message)); }
    /** An error: to stderr, even with --quiet. */
    public void fail(String message) { err.println(paint("31", "\u2717 " + message)); }
    /** A report line about something that is not well (status): to stdout, with the other report lines. */
    public void bad(String message) { if (!quiet) out.println(paint("31", "\u2717") + " " + message); }
    public void hint(String message) { err.println("  " + message); }
    public void plain(String message) { if (!quiet) out.println(message); }

    /**
     * A one-line progress display for long work, refreshed every second on a terminal (nothing otherwise:
     * cron logs get the step lines only). Closing it clears the line.
     */
    public interface Progress extends AutoCloseable {
        @Override void close();
    }

    public Progress progress(java.util.function.Supplier<String> status) {
        if (quiet || !isTerminal()) return () -> {};
        long started = System.nanoTime();
        java.util.concurrent.ScheduledExecutorService ticker = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "progress");
            thread.setDaemon(true);
            return thread;
        });
        ticker.scheduleAtFixedRate(() -> out.print("\r\u001b[2K  " + status.get() + ", " + (System.nanoTime() - started) / 1_000_000_000 + " s"),
            1, 1, java.util.concurrent.TimeUnit.SECONDS);
        return () -> {
            ticker.shutdownNow();
            out.print("\r\u001b[2K");
            out.flush();
        };
    }

    private void line(String mark, String colorCode, String message) {
        if (quiet) return;
        out.println((colorCode == null ? mark : paint(colorCode, mark)) + " " + message);
    }

    private String paint(String code, String text) {
        return color ? "\u001b[" + code + "m" + text + "\u001b[0m" : text;
    }

    /** 1536 -> "1.5 kB": sizes in the binary units people read off du and df. */
    public static String humanBytes(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] units = {"kB", "MB", "GB", "TB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
