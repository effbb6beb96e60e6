import java.sql.SQLException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;

/**
 * Converted rows handed from the thread reading SQLite to a thread that encodes them (and sums them for --verify)
 * and sends them to COPY, so that reading and encoding run on two cores. Rows travel in batches; at most
 * BUDGET_KB of row values are in flight, and a row as large as that goes alone (the next one is read only once it
 * is sent), so memory stays as it was with one thread. The connection is the writing thread's until finish() or
 * cancel() returns.
 */
public final class CopyWriter {
    private static final int BATCH_ROWS = 256;
    private static final int BUDGET_KB = 8 * 1024;
    private static final Batch END = new Batch(0), ABORT = new Batch(0);

    /** A batch of rows (shallow copies of the reader's reused arrays) and the budget each holds. */
    private static final class Batch {
        final Object[][] rows;
        final int[] permits;
        int size;

        Batch(int capacity) {
            rows = new Object[capacity][];
            permits = new int[capacity];
        }
    }

    private final CopyBuffer buffer;
    private final RowChecksum hasher;
    private final BlockingQueue<Batch> queue = new LinkedBlockingQueue<>();
    private final Semaphore budget = new Semaphore(BUDGET_KB);
    private final Thread thread;
    private volatile Throwable failure;
    private Batch batch = new Batch(BATCH_ROWS);
    private long checksum;

    /** hasher: sums the rows as sent (--verify), or null. */
    public CopyWriter(CopyBuffer buffer, RowChecksum hasher) {
        this.buffer = buffer;
        this.hasher = hasher;
        this.thread = new Thread(this::write, "copy-writer");
        thread.setDaemon(true); // an interrupt or kill does not wait for it
        thread.start();
    }

    /** Takes one converted row (values are copied: the caller may reuse the array). */
    public void row(Object[] values) throws SQLException {
        rethrowFailure();
        int permits = (int) Math.min(BUDGET_KB, Math.max(1, sizeOf(values) >> 10));
        if (!budget.tryAcquire(permits)) { // the budget is taken: hand over the rows held here first, or none would come back
            send();
            acquire(permits);
        }
        batch.rows[batch.size] = values.clone();
        batch.permits[batch.size++] = permits;
        if (permits == BUDGET_KB) { // a large row goes alone: wait until it is sent before reading the next
            send();
            acquire(BUDGET_KB);
            budget.release(BUDGET_KB);
            rethrowFailure();
        } else if (batch.size == BATCH_ROWS) {
            send();
        }
    }

    /** Sends what is left, waits for the writing thread and ends the COPY; returns the checksum of the rows sent. */
    public long finish() throws SQLException {
        send();
        stop(END);
        rethrowFailure();
        buffer.finish();
        return checksum;
    }

    /** After a failure: stops the writing thread and abandons the COPY. */
    public void cancel() throws SQLException {
        stop(ABORT);
        buffer.cancel();
    }

    public long bytes() { return buffer.bytes(); }

    /** About the heap a row's values hold. */
    private static long sizeOf(Object[] values) {
        long size = 0;
        for (Object value : values) {
            if (value instanceof byte[] bytes) size += bytes.length;
            else if (value instanceof String text) size += 2L * text.length();
            else if (value instanceof Values.Utf8 utf8) size += utf8.bytes().length;
            else if (value instanceof Values.JsonUtf8 json) size += json.bytes().length;
            else if (value instanceof Values.JsonText json) size += 2L * json.text().length();
            else if (value instanceof Values.RawText raw) size += 2L * raw.text().length();
            else size += 16;
        }
        return size;
    }

    private void write() {
        try {
            while (true) {
                Batch next = queue.take();
                if (next == END || next == ABORT) return;
                if (failure != null) continue; // drain what the reader still sends until it notices
                for (int i = 0; i < next.size; i++) {
                    Object[] values = next.rows[i];
                    next.rows[i] = null;
                    buffer.row(values);
                    if (hasher != null) checksum += hasher.of(values);
                    budget.release(next.permits[i]);
                }
            }
        } catch (Throwable e) { // what the server refused (SQLException) or an encoding failure: the reader rethrows it
            failure = e;
            budget.release(Integer.MAX_VALUE / 2); // the reader must never wait for a writer that stopped
            drainUntilStopped();
        }
    }

    private void drainUntilStopped() {
        try {
            Batch next;
            do next = queue.take(); while (next != END && next != ABORT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void send() {
        if (batch.size == 0) return;
        queue.add(batch);
        batch = new Batch(BATCH_ROWS);
    }

    private void stop(Batch marker) {
        queue.add(marker);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the rows were being sent", e);
        }
    }

    private void acquire(int permits) {
        try {
            budget.acquire(permits);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the rows were being sent", e);
        }
    }

    private void rethrowFailure() throws SQLException {
        Throwable e = failure;
        if (e == null) return;
        if (e instanceof SQLException sql) throw sql;
        if (e instanceof RuntimeException runtime) throw runtime;
        if (e instanceof Error error) throw error;
        throw new IllegalStateException(e);
    }
}
