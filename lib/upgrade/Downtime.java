import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The downtime's clock: started when writes stop, each step's share noted as it ends, said in one line at the
 * end ("3.1 s: drained 0.1 s, counted 0.9 s, ..."), so a slow switch shows where its seconds went.
 */
public final class Downtime {
    private final long started = System.nanoTime();
    private long stepStarted = started;
    private final List<String> steps = new ArrayList<>();

    /** The step that ends now, named as it is said ("counted"). */
    public void stepDone(String name) {
        long now = System.nanoTime();
        steps.add(name + " " + seconds(now - stepStarted));
        stepStarted = now;
    }

    /** "3.1 s" so far. */
    public String total() { return seconds(System.nanoTime() - started); }

    /** "drained 0.1 s, counted 0.9 s, ...": the steps noted so far. */
    public String steps() { return String.join(", ", steps); }

    private static String seconds(long nanos) { return String.format(Locale.ROOT, "%.1f s", nanos / 1e9); }
}
