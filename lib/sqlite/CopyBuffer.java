import java.sql.Connection;
import java.sql.SQLException;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/** One table's rows on their way into COPY ... FROM STDIN: encoded into a 1 MiB buffer that is flushed to the server as it fills. */
public final class CopyBuffer {
    private final CopyIn copy;
    private final CopyEncoder encoder;
    private final byte[] buffer = new byte[1 << 20];
    private int used;
    private long total;

    public CopyBuffer(CopyIn copy, CopyEncoder encoder) throws SQLException {
        this.copy = copy;
        this.encoder = encoder;
        byte[] header = encoder.header();
        put(header, header.length);
    }

    /**
     * Starts COPY into the planned table's columns, in binary format where the encoder has one for every column;
     * freeze: the rows arrive frozen (the table must have been created or emptied in the current subtransaction).
     */
    public static CopyBuffer start(Connection pg, TablePlan table, boolean freeze) throws SQLException {
        CopyEncoder encoder = CopyEncoder.forColumns(table.targetColumns());
        String sql = "COPY " + Databases.quote(table.name()) + " (" + String.join(", ", table.columns().stream().map(Databases::quote).toList())
            + ") FROM STDIN" + encoder.options(freeze);
        return new CopyBuffer(pg.unwrap(PGConnection.class).getCopyAPI().copyIn(sql), encoder);
    }

    public void row(Object[] values) throws SQLException {
        encoder.encode(values, this::put); // a large value is sent from where it is
        put(encoder.bytes(), encoder.length());
    }

    private void put(byte[] bytes, int length) throws SQLException {
        if (used + length > buffer.length) flush();
        if (length > buffer.length) {
            copy.writeToCopy(bytes, 0, length);
            total += length;
            return;
        }
        System.arraycopy(bytes, 0, buffer, used, length);
        used += length;
    }

    private void flush() throws SQLException {
        if (used == 0) return;
        copy.writeToCopy(buffer, 0, used);
        total += used;
        used = 0;
    }

    /** Sends what is left and ends the COPY. */
    public void finish() throws SQLException {
        byte[] trailer = encoder.trailer();
        put(trailer, trailer.length);
        flush();
        copy.endCopy();
    }

    /** Abandons the COPY if it is still going (after a failure). */
    public void cancel() throws SQLException {
        if (copy.isActive()) copy.cancelCopy();
    }

    /** Bytes sent so far. */
    public long bytes() { return total; }
}
