import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoField;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/** The conversions themselves: SQLite's dynamic values in, typed Java values out, or the reason they cannot be. */
public final class Values {
    /** JSON text that has been checked, sent as is (jsonb normalises it). */
    public record JsonText(String text) {}

    /** JSON checked as the UTF-8 bytes SQLite holds, sent as they are (as JsonText is, without decoding them). */
    public record JsonUtf8(byte[] bytes) {
        public String text() { return new String(bytes, StandardCharsets.UTF_8); }
    }

    /** Text for a type we do not convert (PostgreSQL parses it). */
    public record RawText(String text) {}

    /**
     * SQLite TEXT as the file stores it, UTF-8 bytes, for a text column: well-formed, it goes to COPY as it is,
     * without being decoded into a String and encoded again.
     */
    public record Utf8(byte[] bytes) {
        public String text() { return new String(bytes, StandardCharsets.UTF_8); }

        /** The bytes as characters one for one: ASCII reads as itself, any other byte as a character no parser here accepts. */
        CharSequence ascii() {
            return new CharSequence() {
                public int length() { return bytes.length; }
                public char charAt(int index) { return (char) (bytes[index] & 0xff); }
                public CharSequence subSequence(int start, int end) { return new String(bytes, start, end - start, StandardCharsets.ISO_8859_1); }
                @Override public String toString() { return new String(bytes, StandardCharsets.ISO_8859_1); }
            };
        }
    }

    /** How a refusal of text that is not UTF-8 begins (the hint names --replace-invalid-utf8 for it). */
    public static final String NOT_UTF8 = "text that is not well-formed UTF-8";

    /** How a refusal of a BLOB in a text or JSON column that is not UTF-8 begins (its hint names --replace-invalid-utf8 too). */
    public static final String BLOB_NOT_UTF8 = "binary data that is not UTF-8 text";

    private static final Pattern DIGITS = Pattern.compile("-?\\d+");
    private static final Pattern ZONE_NAME = Pattern.compile(" ?(UTC|GMT)$");
    private static final Pattern SPACE_BEFORE_OFFSET = Pattern.compile(" ([+-]\\d)");
    private static final long MILLIS_FROM = 100_000_000_000L; // epoch seconds this large are past year 5000: such values are milliseconds
    private static final DateTimeFormatter TIMESTAMP = new DateTimeFormatterBuilder()
        .append(DateTimeFormatter.ISO_LOCAL_DATE).appendLiteral('T')
        .appendValue(ChronoField.HOUR_OF_DAY, 2).appendLiteral(':').appendValue(ChronoField.MINUTE_OF_HOUR, 2)
        .optionalStart().appendLiteral(':').appendValue(ChronoField.SECOND_OF_MINUTE, 2).optionalEnd()
        .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd()
        .optionalStart().appendOffset("+HH:MM", "Z").optionalEnd()
        .optionalStart().appendOffset("+HHMM", "Z").optionalEnd()
        .optionalStart().appendOffset("+HH", "Z").optionalEnd()
        .toFormatter(Locale.ROOT).withResolverStyle(ResolverStyle.STRICT); // February 30th is refused, not moved to the 29th

    public static UUID uuid(Object value) throws BadValue {
        if (value instanceof Utf8 utf8) { // SQLite's text as bytes: the common forms are read from them, anything else as before
            UUID parsed = uuidText(utf8.ascii());
            if (parsed != null) return parsed;
            value = utf8.text();
        }
        if (value instanceof byte[] bytes) {
            if (bytes.length != 16) throw new BadValue("a " + bytes.length + "-byte blob is not a uuid (16 bytes)");
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            return new UUID(buffer.getLong(), buffer.getLong());
        }
        String text = String.valueOf(value).strip();
        UUID parsed = uuidText(text);
        if (parsed != null) return parsed;
        throw new BadValue(text.isEmpty() ? "an empty string is not a uuid" : "not a uuid");
    }

    /**
     * 8-4-4-4-12 hex digits with dashes, or 32 without, read by hand (a regex and UUID.fromString cost more than the
     * rest of such a row); null for anything else.
     */
    static UUID uuidText(CharSequence text) {
        int length = text.length();
        boolean dashed = length == 36;
        if (!dashed && length != 32) return null;
        if (dashed && (text.charAt(8) != '-' || text.charAt(13) != '-' || text.charAt(18) != '-' || text.charAt(23) != '-')) return null;
        long high = 0, low = 0;
        int digits = 0;
        for (int i = 0; i < length; i++) {
            if (dashed && (i == 8 || i == 13 || i == 18 || i == 23)) continue;
            int digit = Character.digit(text.charAt(i), 16);
            if (digit < 0 || text.charAt(i) > 'f') return null; // digit() also takes non-ASCII digits
            if (digits++ < 16) high = high << 4 | digit;
            else low = low << 4 | digit;
        }
        return new UUID(high, low);
    }

    public static Boolean bool(Object value) throws BadValue {
        if (value instanceof Number number && (number instanceof Integer || number instanceof Long)) {
            if (number.longValue() == 0) return false;
            if (number.longValue() == 1) return true;
            throw new BadValue("only 0 and 1 are booleans");
        }
        return switch (String.valueOf(value).strip().toLowerCase(Locale.ROOT)) {
            case "t", "true", "1" -> true;
            case "f", "false", "0" -> false;
            default -> throw new BadValue("not a boolean (0/1, t/f, true/false)");
        };
    }

    public static Long integer(Object value, String type) throws BadValue {
        long number;
        if (value instanceof Integer || value instanceof Long) {
            number = ((Number) value).longValue();
        } else if (value instanceof Double d) {
            if (d != Math.rint(d) || Double.isInfinite(d)) throw new BadValue("not a whole number");
            // SQLite keeps integers past bigint as REAL; longValue() would clamp them to the largest bigint
            if (d >= 0x1p63 || d < -0x1p63) throw new BadValue("out of range for " + type);
            number = d.longValue();
        } else {
            try {
                number = new BigDecimal(String.valueOf(value).strip()).longValueExact();
            } catch (NumberFormatException | ArithmeticException e) {
                throw new BadValue("not a whole number within the range of " + type);
            }
        }
        long min = type.equals("int2") ? Short.MIN_VALUE : type.equals("int4") ? Integer.MIN_VALUE : Long.MIN_VALUE;
        long max = type.equals("int2") ? Short.MAX_VALUE : type.equals("int4") ? Integer.MAX_VALUE : Long.MAX_VALUE;
        if (number < min || number > max) throw new BadValue("out of range for " + type);
        return number;
    }

    public static BigDecimal numeric(Object value) throws BadValue {
        if (value instanceof Integer || value instanceof Long) return BigDecimal.valueOf(((Number) value).longValue());
        if (value instanceof Double d) return BigDecimal.valueOf(d);
        try {
            return new BigDecimal(String.valueOf(value).strip());
        } catch (NumberFormatException e) {
            throw new BadValue("not a number");
        }
    }

    public static Double floating(Object value) throws BadValue {
        if (value instanceof Number number) return number.doubleValue();
        try {
            return Double.parseDouble(String.valueOf(value).strip());
        } catch (NumberFormatException e) {
            throw new BadValue("not a number");
        }
    }

    /** ISO-8601 text with or without zone (no zone = UTC, as SQLite's CURRENT_TIMESTAMP), epoch seconds or milliseconds. */
    public static Instant instant(Object value) throws BadValue {
        if (value instanceof Utf8 utf8) { // SQLite's text as bytes: the forms Oxy writes are read from them, anything else as before
            Instant common = commonIsoForm(utf8.ascii());
            if (common != null) return common;
            value = utf8.text();
        }
        if (value instanceof Integer || value instanceof Long) return fromEpoch(((Number) value).longValue(), 0);
        if (value instanceof Double d) return fromEpoch((long) Math.floor(d), d - Math.floor(d));
        String text = String.valueOf(value).strip();
        Instant common = commonIsoForm(text);
        if (common != null) return common;
        if (DIGITS.matcher(text).matches()) {
            try {
                return fromEpoch(Long.parseLong(text), 0);
            } catch (NumberFormatException e) {
                throw new BadValue("not a timestamp");
            }
        }
        if (text.length() == 10) text = text + "T00:00";
        if (text.length() > 10 && text.charAt(10) == ' ') text = text.substring(0, 10) + 'T' + text.substring(11);
        text = ZONE_NAME.matcher(text).replaceFirst("Z");
        text = SPACE_BEFORE_OFFSET.matcher(text).replaceFirst("$1");
        try {
            var parsed = TIMESTAMP.parseBest(text, OffsetDateTime::from, LocalDateTime::from);
            Instant instant = parsed instanceof OffsetDateTime offset ? offset.toInstant() : ((LocalDateTime) parsed).toInstant(ZoneOffset.UTC);
            return roundToMicros(instant);
        } catch (DateTimeException e) {
            throw new BadValue("not a timestamp (ISO-8601, 'YYYY-MM-DD HH:MM:SS', or epoch seconds/milliseconds)");
        }
    }

    /**
     * The two forms Oxy writes ('2025-06-11T01:56:38.123456789+00:00' and '2025-06-11 01:56:38'), parsed by
     * hand: the general formatter costs more than the rest of a row. Anything else returns null.
     */
    public static Instant commonIsoForm(CharSequence text) {
        int length = text.length();
        if (length < 19 || text.charAt(4) != '-' || text.charAt(7) != '-' || (text.charAt(10) != 'T' && text.charAt(10) != ' ')
            || text.charAt(13) != ':' || text.charAt(16) != ':') return null;
        int year = digits(text, 0, 4), month = digits(text, 5, 7), day = digits(text, 8, 10);
        int hour = digits(text, 11, 13), minute = digits(text, 14, 16), second = digits(text, 17, 19);
        if ((year | month | day | hour | minute | second) < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
        int position = 19;
        long nanos = 0;
        if (position < length && text.charAt(position) == '.') {
            int start = ++position;
            while (position < length && Character.isDigit(text.charAt(position))) position++;
            int count = position - start;
            if (count == 0 || count > 9) return null;
            nanos = digits(text, start, position);
            for (int i = count; i < 9; i++) nanos *= 10;
        }
        int offsetSeconds = 0;
        if (position < length) {
            char sign = text.charAt(position);
            if (sign == 'Z' && position + 1 == length) {
                offsetSeconds = 0;
            } else if ((sign == '+' || sign == '-') && length - position == 6 && text.charAt(position + 3) == ':') {
                int hours = digits(text, position + 1, position + 3), minutes = digits(text, position + 4, position + 6);
                if ((hours | minutes) < 0) return null;
                offsetSeconds = (sign == '-' ? -1 : 1) * (hours * 3600 + minutes * 60);
            } else {
                return null;
            }
        }
        try {
            long epochSecond = LocalDate.of(year, month, day).toEpochDay() * 86400 + hour * 3600L + minute * 60L + second - offsetSeconds;
            return roundToMicros(Instant.ofEpochSecond(epochSecond, nanos));
        } catch (DateTimeException e) {
            return null; // e.g. February 30th: let the general parser name it
        }
    }

    /** The decimal number in text[from, to), or -1 if any character is not a digit. */
    private static int digits(CharSequence text, int from, int to) {
        int value = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') return -1;
            value = value * 10 + (c - '0');
        }
        return value;
    }

    private static Instant fromEpoch(long whole, double fraction) throws BadValue {
        try {
            Instant instant = Math.abs(whole) >= MILLIS_FROM
                ? Instant.ofEpochMilli(whole).plusNanos((long) (fraction * 1_000_000))
                : Instant.ofEpochSecond(whole).plusNanos((long) (fraction * 1_000_000_000));
            return roundToMicros(instant);
        } catch (DateTimeException | ArithmeticException e) {
            throw new BadValue("epoch value out of range");
        }
    }

    /** PostgreSQL keeps microseconds; rounding here makes what we send exactly what it stores. */
    private static Instant roundToMicros(Instant instant) {
        return instant.plusNanos(500).truncatedTo(ChronoUnit.MICROS);
    }

    /**
     * JSON text checked (JsonCheck) and sent as is; a NUL refused or stripped (and jsonb's escaped NUL). SQLite's
     * bytes (TEXT read as bytes, already held to UTF-8 by wellFormed(...), or a BLOB, held to it here) that are valid JSON without NULs are checked and
     * sent without being decoded; any other value takes the String way, which words a refusal as always.
     */
    public static Object json(Object value, boolean stripNul, boolean jsonb) throws BadValue {
        byte[] raw = value instanceof Utf8 utf8 ? utf8.bytes() : value instanceof byte[] bytes ? bytes : null;
        boolean wellFormed = value instanceof Utf8 || raw != null && isWellFormedUtf8(raw); // a Utf8 passed wellFormed(...) in the walk
        if (raw != null && wellFormed && !hasNul(raw, jsonb) && JsonCheck.accepts(raw, jsonb)) return new JsonUtf8(raw);
        if (value instanceof Utf8 utf8) value = utf8.text(); // as SQLite's driver decoded it
        String text = value instanceof byte[] bytes ? utf8(bytes) : String.valueOf(value);
        if (text.indexOf('\0') >= 0) {
            if (!stripNul) throw new BadValue("JSON containing a NUL character");
            text = text.replace("\0", "");
        }
        if (jsonb && text.contains("\\u0000")) {
            if (!stripNul) throw new BadValue("JSON containing \\u0000, which jsonb rejects (NUL)");
            text = text.replaceAll("(?<!\\\\)((?:\\\\\\\\)*)\\\\u0000", "$1");
        }
        String problem = JsonCheck.problem(text, jsonb);
        if (problem != null) throw new BadValue(problem);
        return new JsonText(text);
    }

    /** A NUL byte, or for jsonb the six bytes \\u0000 anywhere (json(...) refuses or strips both). */
    private static boolean hasNul(byte[] bytes, boolean jsonb) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) return true;
            if (jsonb && bytes[i] == '\\' && i + 5 < bytes.length && bytes[i + 1] == 'u' && bytes[i + 2] == '0' && bytes[i + 3] == '0'
                && bytes[i + 4] == '0' && bytes[i + 5] == '0') return true;
        }
        return false;
    }

    public static String text(Object value, boolean stripNul, Integer maxLength) throws BadValue {
        String text = value instanceof byte[] bytes ? utf8(bytes) : value instanceof Double d ? BigDecimal.valueOf(d).toPlainString() : String.valueOf(value);
        if (text.indexOf('\0') >= 0) {
            if (!stripNul) throw new BadValue("text containing a NUL character, which PostgreSQL rejects");
            text = text.replace("\0", "");
        }
        if (maxLength != null && text.codePointCount(0, text.length()) > maxLength) {
            throw new BadValue("longer than " + maxLength + " characters");
        }
        return text;
    }

    /**
     * SQLite TEXT's bytes held to UTF-8 before a text value is kept from them: well-formed, the same value back; else
     * refused, naming the first bad byte, or with replaceInvalid a new value in which each bad sequence is U+FFFD, as
     * SQLite's driver decodes it (the caller counts the values changed by comparing the one returned).
     */
    public static Utf8 wellFormed(Utf8 value, boolean replaceInvalid) throws BadValue {
        return wellFormed(value, replaceInvalid, NOT_UTF8);
    }

    /** A BLOB in a text or JSON column, held to UTF-8 as SQLite's TEXT is (wellFormed(...)): its bytes as text, or refused, or with U+FFFD. */
    public static Utf8 blobAsText(byte[] blob, boolean replaceInvalid) throws BadValue {
        return wellFormed(new Utf8(blob), replaceInvalid, BLOB_NOT_UTF8);
    }

    private static Utf8 wellFormed(Utf8 value, boolean replaceInvalid, String refusal) throws BadValue {
        byte[] bytes = value.bytes();
        int bad = firstInvalidUtf8(bytes);
        if (bad < 0) return value;
        if (replaceInvalid) return new Utf8(value.text().getBytes(StandardCharsets.UTF_8));
        throw new BadValue(String.format(Locale.ROOT, "%s, first bad byte 0x%02x at offset %d", refusal, bytes[bad] & 0xff, bad));
    }

    /** Whether a refusal is of bytes that are not UTF-8 (text or a BLOB), which --replace-invalid-utf8 moves. */
    public static boolean isNotUtf8(String reason) {
        return reason.startsWith(NOT_UTF8) || reason.startsWith(BLOB_NOT_UTF8);
    }

    /**
     * SQLite TEXT for a text column, as bytes that wellFormed(...) passed: refused or stripped of NULs and held to
     * maxLength exactly as text(...) does with the String, then sent to COPY as they are.
     */
    public static Object text(Utf8 value, boolean stripNul, Integer maxLength) throws BadValue {
        byte[] bytes = value.bytes();
        int nuls = 0;
        for (byte b : bytes) if (b == 0) nuls++;
        if (nuls > 0) {
            if (!stripNul) throw new BadValue("text containing a NUL character, which PostgreSQL rejects");
            byte[] stripped = new byte[bytes.length - nuls];
            int at = 0;
            for (byte b : bytes) if (b != 0) stripped[at++] = b;
            bytes = stripped;
            value = new Utf8(bytes);
        }
        if (maxLength != null && bytes.length > maxLength) { // each character is one to four bytes: count them only then
            int characters = 0;
            for (byte b : bytes) if ((b & 0xc0) != 0x80) characters++;
            if (characters > maxLength) throw new BadValue("longer than " + maxLength + " characters");
        }
        return value;
    }

    /** Well-formed UTF-8 as Unicode defines it (no overlong forms, surrogates or code points past U+10FFFF): what Java's strict decoder and PostgreSQL accept. */
    public static boolean isWellFormedUtf8(byte[] bytes) {
        return firstInvalidUtf8(bytes) < 0;
    }

    /** The offset of the first byte that starts no well-formed UTF-8 sequence, or -1 if there is none. */
    static int firstInvalidUtf8(byte[] bytes) {
        int i = 0, length = bytes.length;
        while (i < length) {
            int b = bytes[i];
            if (b >= 0) { // ASCII, the common case
                i++;
                continue;
            }
            b &= 0xff;
            int more, min, max = 0xbf;
            if (b >= 0xc2 && b <= 0xdf) { more = 1; min = 0x80; }
            else if (b == 0xe0) { more = 2; min = 0xa0; }
            else if (b == 0xed) { more = 2; min = 0x80; max = 0x9f; } // not the surrogates
            else if (b >= 0xe1 && b <= 0xef) { more = 2; min = 0x80; }
            else if (b == 0xf0) { more = 3; min = 0x90; }
            else if (b >= 0xf1 && b <= 0xf3) { more = 3; min = 0x80; }
            else if (b == 0xf4) { more = 3; min = 0x80; max = 0x8f; } // not past U+10FFFF
            else return i;
            if (i + more >= length) return i; // cut short
            int second = bytes[i + 1] & 0xff;
            if (second < min || second > max) return i;
            for (int k = 2; k <= more; k++) if ((bytes[i + k] & 0xc0) != 0x80) return i;
            i += more + 1;
        }
        return -1;
    }

    public static String utf8(byte[] bytes) throws BadValue {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new BadValue(BLOB_NOT_UTF8);
        }
    }
}
