import java.time.Duration;
import java.util.function.Predicate;

/** Retries with exponential backoff, for servers that are still starting or briefly unreachable. */
public final class Retry {
    /** One attempt: returns a value or throws what made it fail. */
    @FunctionalInterface
    public interface Attempt<T> {
        T run() throws Exception;
    }

    /** Called before each wait with the attempt number that failed and its error. */
    @FunctionalInterface
    public interface RetryListener {
        void beforeRetry(int failedAttempt, Duration wait, Exception error);
    }

    private final int maxAttempts;
    private final Duration deadline;
    private final Duration firstWait;
    private final Duration maxWait;
    private final Predicate<Exception> permanent;

    private Retry(int maxAttempts, Duration deadline, Duration firstWait, Duration maxWait, Predicate<Exception> permanent) {
        this.maxAttempts = maxAttempts;
        this.deadline = deadline;
        this.firstWait = firstWait;
        this.maxWait = maxWait;
        this.permanent = permanent;
    }

    /** Errors that waiting cannot fix (a wrong password, say) end the retries at once. */
    public Retry givingUpOn(Predicate<Exception> permanentError) {
        return new Retry(maxAttempts, deadline, firstWait, maxWait, permanentError);
    }

    /** Keeps trying until the time is up: waiting for a server to become ready. */
    public static Retry until(Duration timeout) {
        return new Retry(Integer.MAX_VALUE, timeout, Duration.ofMillis(50), Duration.ofSeconds(1), error -> false);
    }

    /** A fixed number of attempts: connecting to something that should already be there. */
    public static Retry attempts(int count, Duration firstWait, Duration maxWait) {
        return new Retry(count, null, firstWait, maxWait, error -> false);
    }

    public <T> T run(Attempt<T> attempt, RetryListener listener) throws Exception {
        long start = System.nanoTime();
        Duration wait = firstWait;
        for (int number = 1; ; number++) {
            try {
                return attempt.run();
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception error) {
                boolean outOfAttempts = number >= maxAttempts;
                boolean outOfTime = deadline != null
                    && Duration.ofNanos(System.nanoTime() - start).plus(wait).compareTo(deadline) > 0;
                if (outOfAttempts || outOfTime || permanent.test(error)) throw error;
                listener.beforeRetry(number, wait, error);
                Thread.sleep(wait.toMillis());
                wait = wait.multipliedBy(2).compareTo(maxWait) > 0 ? maxWait : wait.multipliedBy(2);
            }
        }
    }

    public <T> T run(Attempt<T> attempt) throws Exception {
        return run(attempt, (number, wait, error) -> {});
    }
}
