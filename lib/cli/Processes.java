import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs PostgreSQL's own tools (initdb, pg_ctl, pg_dump, ...) as child processes. Secrets go in the environment, never the arguments. */
public final class Processes {
    private Processes() {}

    /** What a finished process said. */
    public record Result(int exitCode, String output) {
        public boolean ok() { return exitCode == 0; }

        /** The last lines of the output, for error messages. */
        public List<String> tail(int lines) {
            List<String> all = output.lines().filter(line -> !line.isBlank()).toList();
            return new ArrayList<>(all.subList(Math.max(0, all.size() - lines), all.size()));
        }
    }

    /** Runs a command to completion, stdout and stderr together; kills it when the timeout passes. */
    public static Result run(List<String> command, Map<String, String> environment, Duration timeout) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Process process = builder.start();
        process.getOutputStream().close();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> copy(process.getInputStream(), output), "output-of-" + command.get(0));
        reader.setDaemon(true);
        reader.start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
            reader.join(1000);
            return new Result(124, output.toString(StandardCharsets.UTF_8) + "\n(killed after " + timeout.toSeconds() + " s)");
        }
        reader.join(5000);
        return new Result(process.exitValue(), output.toString(StandardCharsets.UTF_8));
    }

    /**
     * Runs a command whose stdout is data: it goes into data as it comes, and the Result's output is stderr.
     * When data refuses a write, the process is killed and that IOException is thrown.
     */
    public static Result runStreaming(List<String> command, Map<String, String> environment, java.io.OutputStream data) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        Process process = builder.start();
        process.getOutputStream().close();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> copy(process.getErrorStream(), errors), "stderr-of-" + command.get(0));
        reader.setDaemon(true);
        reader.start();
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = process.getInputStream()) {
            for (int n; (n = in.read(buffer)) >= 0; ) data.write(buffer, 0, n);
        } catch (IOException refused) {
            process.destroyForcibly().waitFor(); // its pipe is closed too: what it started gets SIGPIPE
            reader.join(1000);
            throw refused;
        }
        process.waitFor();
        reader.join(5000);
        return new Result(process.exitValue(), errors.toString(StandardCharsets.UTF_8));
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try (in) {
            in.transferTo(out);
        } catch (IOException ignored) {
            // the process went away; what it printed so far is kept
        }
    }

    /** Whether a program is on PATH (the way a shell would find it). */
    public static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(java.io.File.pathSeparator)) {
            java.io.File candidate = new java.io.File(dir, program);
            if (candidate.isFile() && candidate.canExecute()) return true;
        }
        return false;
    }
}
