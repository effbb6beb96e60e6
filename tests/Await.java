import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.function.Supplier;

/** Waits for a real condition, looking every 20 ms, instead of sleeping a guessed time. */
final class Await {
    private Await() {}

    /** A condition to look at; it may read files, processes or a database. */
    interface Condition {
        boolean holds() throws Exception;
    }

    /** Until the condition holds; fails naming what was awaited (and what was seen) when time runs out. */
    static void until(Duration timeout, Condition condition, Supplier<String> what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) fail("no " + what.get() + " within " + timeout);
            Thread.sleep(20);
        }
    }

    /** Until the condition holds while the process runs; fails with its output if it exits first or time runs out. */
    static void whileRunning(Process process, Duration timeout, Condition condition, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.holds()) {
            if (!process.isAlive()) fail("exited before " + what + ":\n" + OxyCli.output(process, process.exitValue()));
            if (System.nanoTime() > deadline) fail("no " + what + " within " + timeout + ":\n" + OxyCli.output(process, -1));
            Thread.sleep(20);
        }
    }
}
