import java.util.List;

/**
 * A failure the user can act on: a one-line problem, an optional line saying what to do, and the exit code.
 * Printed without a stack trace (unless --verbose), so its message must stand on its own.
 */
public class OxyError extends RuntimeException {
    private final int exitCode;
    private final String hint;
    private final List<String> details;

    public OxyError(int exitCode, String problem, String hint) {
        this(exitCode, problem, hint, List.of(), null);
    }

    public OxyError(int exitCode, String problem, String hint, Throwable cause) {
        this(exitCode, problem, hint, List.of(), cause);
    }

    /** details: extra lines shown after the problem, such as the last lines of a server log. */
    public OxyError(int exitCode, String problem, String hint, List<String> details, Throwable cause) {
        super(problem, cause);
        this.exitCode = exitCode;
        this.hint = hint;
        this.details = details;
    }

    public int exitCode() { return exitCode; }
    public String hint() { return hint; }
    public List<String> details() { return details; }
}
