import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * An order-independent checksum: each row's values in a canonical text form (JSON with sorted keys and
 * plain numbers, timestamps as epoch microseconds, ...) hashed to 64 bits, summed over the table.
 */
public final class RowChecksum {
    private final ObjectMapper canonicalJson = new ObjectMapper()
        .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
        .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private static final long FNV_PRIME = 0x100000001b3L;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** FNV-1a over each value's canonical text and a separator, fed value by value: a 20 MB value is never copied whole again. */
    public long of(Object[] values) {
        long hash = 0xcbf29ce484222325L;
        for (Object value : values) {
            if (value instanceof byte[] bytes) { // its lower-case hex, digit by digit
                for (byte b : bytes) {
                    hash = (hash ^ HEX[(b >> 4) & 0xf]) * FNV_PRIME;
                    hash = (hash ^ HEX[b & 0xf]) * FNV_PRIME;
                }
            } else if (value instanceof Values.Utf8 utf8) { // decoded piece by piece: a 50 MB text is never a String here
                hash = hashDecoded(hash, utf8.bytes());
            } else {
                String text = canonical(value);
                for (int i = 0; i < text.length(); i++) hash = (hash ^ text.charAt(i)) * FNV_PRIME;
            }
            hash = (hash ^ '\u0001') * FNV_PRIME;
        }
        hash ^= hash >>> 33; // final avalanche (splitmix-style) so that sums of similar rows do not cancel
        hash *= 0xff51afd7ed558ccdL;
        hash ^= hash >>> 33;
        return hash;
    }

    /** FNV-1a over the characters of UTF-8 bytes as new String(bytes, UTF_8) has them, decoded 8 K characters at a time. */
    private static long hashDecoded(long hash, byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(8192);
        boolean done = false;
        while (!done) {
            CoderResult result = decoder.decode(in, out, true);
            done = result.isUnderflow() && decoder.flush(out).isUnderflow();
            out.flip();
            while (out.hasRemaining()) hash = (hash ^ out.get()) * FNV_PRIME;
            out.clear();
        }
        return hash;
    }

    private String canonical(Object value) {
        if (value == null) return "\u0002";
        if (value instanceof OffsetDateTime timestamp) {
            Instant instant = timestamp.toInstant();
            return Long.toString(instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1000);
        }
        if (value instanceof BigDecimal decimal) return decimal.stripTrailingZeros().toPlainString();
        if (value instanceof byte[] bytes) return HexFormat.of().formatHex(bytes);
        if (value instanceof Values.JsonUtf8 json) value = new Values.JsonText(json.text());
        if (value instanceof Values.JsonText json) {
            try {
                return canonicalJson.writeValueAsString(sortedJson(canonicalJson.readTree(json.text())));
            } catch (IOException e) {
                return json.text();
            }
        }
        if (value instanceof Values.Utf8 utf8) return utf8.text();
        if (value instanceof Values.RawText) return ""; // types PostgreSQL reformats (inet, interval, ...) are not compared
        return value.toString();
    }

    private Object sortedJson(JsonNode node) {
        if (node.isObject()) {
            Map<String, Object> sorted = new TreeMap<>();
            node.fields().forEachRemaining(field -> sorted.put(field.getKey(), sortedJson(field.getValue())));
            return sorted;
        }
        if (node.isArray()) {
            List<Object> items = new ArrayList<>();
            node.forEach(item -> items.add(sortedJson(item)));
            return items;
        }
        if (node.isNumber()) return node.decimalValue().stripTrailingZeros().toPlainString();
        if (node.isNull()) return null;
        return node.isTextual() ? node.textValue() : node.toString();
    }

    /** Text as the UTF-8 the server sent (the driver's getBytes of a text column), hashed as its characters without a String of it. */
    private static Values.Utf8 utf8(byte[] bytes) {
        return bytes == null ? null : new Values.Utf8(bytes);
    }

    /** A PostgreSQL value as the same Java type its converter produces, so both sides hash alike. */
    public static Object readBack(ResultSet result, int index, TargetSchema.Column column) throws SQLException {
        Object value = switch (column.category()) {
            case UUID -> result.getObject(index, UUID.class);
            case BOOLEAN -> result.getBoolean(index);
            case INTEGER -> result.getLong(index);
            case NUMERIC -> result.getBigDecimal(index);
            case REAL -> result.getFloat(index);
            case DOUBLE -> result.getDouble(index);
            case TIMESTAMPTZ -> result.getObject(index, OffsetDateTime.class);
            case TIMESTAMP -> result.getObject(index, LocalDateTime.class);
            case DATE -> result.getObject(index, LocalDate.class);
            case JSON -> result.getString(index) == null ? null : new Values.JsonText(result.getString(index));
            case BYTEA -> result.getBytes(index);
            case TEXT -> column.type().equals("bpchar") ? (result.getString(index) != null ? result.getString(index).stripTrailing() : null) : utf8(result.getBytes(index));
            case OTHER -> result.getString(index) == null ? null : new Values.RawText("");
        };
        return result.wasNull() ? null : value;
    }
}
