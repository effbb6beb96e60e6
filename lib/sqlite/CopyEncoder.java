import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;

/**
 * Converted rows in PostgreSQL's COPY format, one at a time. Binary format where every column has a binary
 * encoding here (the server then parses no text: uuids are 16 bytes, timestamps 8); text format otherwise
 * (numeric and other types), which PostgreSQL parses itself.
 */
public final class CopyEncoder {
    private static final DateTimeFormatter TIMESTAMPTZ = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSSSSSxxx", Locale.ROOT);
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSSSSS", Locale.ROOT);
    private static final byte[] BINARY_HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final byte[] BINARY_TRAILER = {(byte) 0xff, (byte) 0xff}; // a field count of -1
    private static final long POSTGRES_EPOCH_SECONDS = 946_684_800L; // 2000-01-01T00:00:00Z, zero of the binary timestamps
    private static final long POSTGRES_EPOCH_DAYS = 10_957L;
    private static final Set<TypeCategory> BINARY = Set.of(TypeCategory.UUID, TypeCategory.BOOLEAN, TypeCategory.INTEGER, TypeCategory.REAL,
        TypeCategory.DOUBLE, TypeCategory.TIMESTAMPTZ, TypeCategory.TIMESTAMP, TypeCategory.DATE, TypeCategory.JSON, TypeCategory.BYTEA, TypeCategory.TEXT);

    private final List<TargetSchema.Column> binaryColumns;
    private final StringBuilder text = new StringBuilder(256);
    private final RowBytes row = new RowBytes();
    private byte[] encoded = new byte[0];
    private int length;

    /** binaryColumns: the target columns for binary format, or null for text format. */
    private CopyEncoder(List<TargetSchema.Column> binaryColumns) { this.binaryColumns = binaryColumns; }

    /** Binary format when it covers every column, text format otherwise. */
    public static CopyEncoder forColumns(List<TargetSchema.Column> columns) {
        return binaryCovers(columns) ? binary(columns) : text();
    }

    public static CopyEncoder text() { return new CopyEncoder(null); }

    /** columns: the target columns in row order (their types pick the encodings); binaryCovers(columns) must hold. */
    public static CopyEncoder binary(List<TargetSchema.Column> columns) { return new CopyEncoder(columns); }

    public static boolean binaryCovers(List<TargetSchema.Column> columns) {
        return columns.stream().allMatch(column -> BINARY.contains(column.category()));
    }

    /** What COPY ... FROM STDIN needs appended for this format (and FREEZE). */
    public String options(boolean freeze) {
        if (binaryColumns != null) return freeze ? " WITH (FORMAT binary, FREEZE)" : " WITH (FORMAT binary)";
        return freeze ? " WITH (FREEZE)" : "";
    }

    /** The bytes before the first row: binary format's signature, nothing in text format. */
    public byte[] header() { return binaryColumns != null ? BINARY_HEADER.clone() : new byte[0]; }

    /** The bytes after the last row: binary format's trailer, nothing in text format. */
    public byte[] trailer() { return binaryColumns != null ? BINARY_TRAILER.clone() : new byte[0]; }

    /** Where a row's bytes go as they are encoded: a large value is handed over as it is, never copied into the row's buffer. */
    @FunctionalInterface
    public interface Sink {
        void write(byte[] bytes, int length) throws java.sql.SQLException;
    }

    /** A value this large (binary format) goes to the sink as it is instead of into the row's buffer: one copy of it on the heap, not three. */
    static final int STREAMED_FROM_BYTES = 64 * 1024;

    /** Encodes one row; bytes() and length() hold it until the next call. */
    public void encode(Object[] values) {
        try {
            encode(values, null);
        } catch (java.sql.SQLException impossible) {
            throw new IllegalStateException(impossible); // no sink, nothing written
        }
    }

    /**
     * Encodes one row; large values in binary format (and the bytes before them) go to sink on the way, and bytes() and
     * length() hold the rest of the row. Without a sink, the whole row.
     */
    public void encode(Object[] values, Sink sink) throws java.sql.SQLException {
        if (binaryColumns != null) {
            row.reset();
            row.sink = sink;
            row.putShort(values.length);
            for (int i = 0; i < values.length; i++) binary(values[i], binaryColumns.get(i).type());
            encoded = row.bytes();
            length = row.length();
            return;
        }
        text.setLength(0);
        for (int i = 0; i < values.length; i++) {
            if (i > 0) text.append('\t');
            append(values[i]);
        }
        text.append('\n');
        encoded = text.toString().getBytes(StandardCharsets.UTF_8);
        length = encoded.length;
    }

    /** The last row's bytes, valid up to length() (in binary format the array is reused and longer). */
    public byte[] bytes() { return encoded; }

    public int length() { return length; }

    /** The last row's bytes, copied: for tests and small uses. */
    public byte[] encoded() { return Arrays.copyOf(encoded, length); }

    /** One field in binary format: its length, then PostgreSQL's send format of the value. */
    private void binary(Object value, String type) throws java.sql.SQLException {
        if (value == null) {
            row.putInt(-1);
            return;
        }
        if (value instanceof Values.Utf8 utf8) {
            row.putBytesWithLength(utf8.bytes(), 0);
        } else if (value instanceof String string) {
            row.putBytesWithLength(string.getBytes(StandardCharsets.UTF_8), 0);
        } else if (value instanceof Values.JsonUtf8 json) {
            row.putBytesWithLength(json.bytes(), type.equals("jsonb") ? 1 : 0); // jsonb's send format: version 1, then the text
        } else if (value instanceof Values.JsonText json) {
            byte[] bytes = json.text().getBytes(StandardCharsets.UTF_8);
            if (type.equals("jsonb")) row.putBytesWithLength(bytes, 1); // jsonb's send format: version 1, then the text
            else row.putBytesWithLength(bytes, 0);
        } else if (value instanceof UUID uuid) {
            row.putInt(16);
            row.putLong(uuid.getMostSignificantBits());
            row.putLong(uuid.getLeastSignificantBits());
        } else if (value instanceof Boolean bool) {
            row.putInt(1);
            row.putByte(bool ? 1 : 0);
        } else if (value instanceof Long number) {
            switch (type) {
                case "int2" -> { row.putInt(2); row.putShort(number.intValue()); }
                case "int4" -> { row.putInt(4); row.putInt(number.intValue()); }
                default -> { row.putInt(8); row.putLong(number); }
            }
        } else if (value instanceof Float number) {
            row.putInt(4);
            row.putInt(Float.floatToIntBits(number));
        } else if (value instanceof Double number) {
            row.putInt(8);
            row.putLong(Double.doubleToLongBits(number));
        } else if (value instanceof OffsetDateTime timestamp) {
            row.putInt(8);
            row.putLong(micros(timestamp.toEpochSecond(), timestamp.getNano()));
        } else if (value instanceof LocalDateTime timestamp) {
            row.putInt(8);
            row.putLong(micros(timestamp.toEpochSecond(ZoneOffset.UTC), timestamp.getNano()));
        } else if (value instanceof LocalDate date) {
            row.putInt(4);
            row.putInt((int) (date.toEpochDay() - POSTGRES_EPOCH_DAYS));
        } else if (value instanceof byte[] bytes) {
            row.putBytesWithLength(bytes, 0);
        } else {
            throw new IllegalStateException("no binary encoding for " + value.getClass().getSimpleName() + " in a " + type + " column");
        }
    }

    private static long micros(long epochSecond, int nanos) {
        return (epochSecond - POSTGRES_EPOCH_SECONDS) * 1_000_000L + nanos / 1000;
    }

    private void append(Object value) {
        if (value == null) {
            text.append("\\N");
        } else if (value instanceof String string) {
            escape(string);
        } else if (value instanceof Values.Utf8 utf8) {
            escape(utf8.text());
        } else if (value instanceof Values.JsonText json) {
            escape(json.text());
        } else if (value instanceof Values.JsonUtf8 json) {
            escape(json.text());
        } else if (value instanceof Values.RawText raw) {
            escape(raw.text());
        } else if (value instanceof Boolean bool) {
            text.append(bool ? 't' : 'f');
        } else if (value instanceof OffsetDateTime timestamp) {
            text.append(TIMESTAMPTZ.format(timestamp));
        } else if (value instanceof LocalDateTime timestamp) {
            text.append(TIMESTAMP.format(timestamp));
        } else if (value instanceof BigDecimal decimal) {
            text.append(decimal.toPlainString());
        } else if (value instanceof byte[] bytes) {
            text.append("\\\\x").append(HexFormat.of().formatHex(bytes));
        } else {
            text.append(value); // UUID, Long, Double, Float, LocalDate print as PostgreSQL reads them
        }
    }

    private void escape(String string) {
        for (int i = 0; i < string.length(); i++) {
            char c = string.charAt(i);
            switch (c) {
                case '\\' -> text.append("\\\\");
                case '\n' -> text.append("\\n");
                case '\r' -> text.append("\\r");
                case '\t' -> text.append("\\t");
                default -> text.append(c);
            }
        }
    }

    /** A growable big-endian byte buffer for one binary COPY row. */
    private static final class RowBytes {
        private byte[] bytes = new byte[1024];
        private int length;
        private Sink sink;

        void reset() { length = 0; }
        byte[] bytes() { return bytes; }
        int length() { return length; }

        private void ensure(int more) {
            if (length + more > bytes.length) bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
        }

        void putByte(int value) { ensure(1); bytes[length++] = (byte) value; }

        void putShort(int value) { ensure(2); bytes[length++] = (byte) (value >>> 8); bytes[length++] = (byte) value; }

        void putInt(int value) {
            ensure(4);
            for (int shift = 24; shift >= 0; shift -= 8) bytes[length++] = (byte) (value >>> shift);
        }

        void putLong(long value) {
            ensure(8);
            for (int shift = 56; shift >= 0; shift -= 8) bytes[length++] = (byte) (value >>> shift);
        }

        /** A field: its length (plus an optional leading version byte), the version byte, then the bytes. */
        void putBytesWithLength(byte[] data, int version) throws java.sql.SQLException {
            putInt(data.length + (version > 0 ? 1 : 0));
            if (version > 0) putByte(version);
            if (sink != null && data.length >= STREAMED_FROM_BYTES) { // what came before it, then the value itself
                sink.write(bytes, length);
                length = 0;
                sink.write(data, data.length);
                return;
            }
            ensure(data.length);
            System.arraycopy(data, 0, bytes, length, data.length);
            length += data.length;
        }
    }
}
