import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.postgresql.copy.CopyIn;

/** The COPY encoder and the row checksum, in-process: the exact bytes PostgreSQL is sent, and what the checksum sees. */
@Tag("unit")
class SqliteCopyEncodingTest {

    private static TargetSchema.Column column(String type) {
        return new TargetSchema.Column("c_" + type, type, true, false, null);
    }

    private static String text(Object... values) {
        CopyEncoder encoder = CopyEncoder.text();
        encoder.encode(values);
        return new String(encoder.encoded(), StandardCharsets.UTF_8);
    }

    private static String binaryHex(List<TargetSchema.Column> columns, Object... values) {
        CopyEncoder encoder = CopyEncoder.binary(columns);
        encoder.encode(values);
        return HexFormat.of().formatHex(encoder.encoded());
    }

    @Test
    void textFormatEscapesTabNewlineCarriageReturnAndBackslash() {
        assertEquals("a\\tb\\nc\\\\d\\re\n", text("a\tb\nc\\d\re"));
        assertEquals("one\ttwo\t\\N\n", text("one", "two", null), "fields split by a real tab; NULL is \\N");
        assertEquals("\\\\N\n", text("\\N"), "the text \\N is not NULL");
        assertArrayEquals(new byte[] {(byte) 0xc3, (byte) 0xa9, '\n'}, textBytes("\u00e9"), "UTF-8");
    }

    private static byte[] textBytes(Object... values) {
        CopyEncoder encoder = CopyEncoder.text();
        encoder.encode(values);
        return encoder.encoded();
    }

    @Test
    void textFormatWritesByteaAsEscapedHexAndOtherTypesAsPostgreSQLReadsThem() {
        assertEquals("\\\\x0aff00\n", text((Object) new byte[] {0x0a, (byte) 0xff, 0}), "bytea: \\x then hex, its backslash escaped");
        assertEquals("\\\\x\n", text((Object) new byte[0]));
        assertEquals("t\tf\t1.50\t-7\n", text(true, false, new BigDecimal("1.50"), -7L));
        assertEquals("2025-06-11 01:56:38.123457+00:00\n", text(OffsetDateTime.of(2025, 6, 11, 1, 56, 38, 123_457_000, ZoneOffset.UTC)));
        assertEquals("{\"k\": \"a\\\\tb\"}\n", text(new Values.JsonText("{\"k\": \"a\\tb\"}")), "JSON's own backslashes are escaped too");
    }

    @Test
    void nulIsRefusedOrStrippedBeforeEncodingNeverSent() throws Exception {
        TargetSchema.Column textColumn = column("text");
        BadValue refused = assertThrows(BadValue.class, () -> ValueConverter.forColumn(textColumn, false).convert("a\0b"));
        assertTrue(refused.getMessage().contains("NUL"), refused.getMessage());
        assertEquals("ab\n", text(ValueConverter.forColumn(textColumn, true).convert("a\0b")), "--strip-nul drops it");
        TargetSchema.Column jsonb = column("jsonb");
        assertThrows(BadValue.class, () -> ValueConverter.forColumn(jsonb, false).convert("{\"k\": \"\\u0000\"}"));
        assertEquals("{\"k\": \"\"}\n", text(ValueConverter.forColumn(jsonb, true).convert("{\"k\": \"\\u0000\"}")));
    }

    @Test
    void binaryFormatIsChosenOnlyWhenEveryColumnHasABinaryEncoding() {
        assertEquals(" WITH (FORMAT binary)", CopyEncoder.forColumns(List.of(column("text"), column("bytea"), column("int8"))).options(false));
        assertEquals("", CopyEncoder.forColumns(List.of(column("text"), column("numeric"))).options(false), "numeric goes as text");
        assertEquals("", CopyEncoder.forColumns(List.of(column("inet"))).options(false));
    }

    @Test
    void binaryFormatFieldsAreLengthThenSendFormat() {
        assertEquals("0001" + "00000003" + "0102ff", binaryHex(List.of(column("bytea")), (Object) new byte[] {1, 2, (byte) 0xff}));
        assertEquals("0002" + "ffffffff" + "00000004" + "00000007", binaryHex(List.of(column("text"), column("int4")), null, 7L));
        assertEquals("0001" + "00000002" + "fffe", binaryHex(List.of(column("int2")), -2L));
        assertEquals("0001" + "00000003" + "01" + "7b7d", binaryHex(List.of(column("jsonb")), new Values.JsonText("{}")), "jsonb: version 1, then the text");
        assertEquals("0001" + "00000002" + "7b7d", binaryHex(List.of(column("json")), new Values.JsonText("{}")));
        assertEquals("0001" + "00000010" + "00112233445566778899aabbccddeeff",
            binaryHex(List.of(column("uuid")), UUID.fromString("00112233-4455-6677-8899-aabbccddeeff")));
        assertEquals("0001" + "00000008" + "0000000000000001", binaryHex(List.of(column("timestamptz")),
            OffsetDateTime.of(2000, 1, 1, 0, 0, 0, 1000, ZoneOffset.UTC)), "microseconds since 2000-01-01");
        assertEquals("0001" + "00000004" + "6109620a", binaryHex(List.of(column("text")), "a\tb\n"), "binary text is not escaped");
    }

    @Test
    void theBufferSendsHeaderRowsAndTrailerInOrder() throws Exception {
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        CopyIn copy = (CopyIn) Proxy.newProxyInstance(CopyIn.class.getClassLoader(), new Class<?>[] {CopyIn.class}, (proxy, method, args) -> {
            switch (method.getName()) {
                case "writeToCopy" -> sent.write((byte[]) args[0], (int) args[1], (int) args[2]);
                case "endCopy" -> { return 0L; }
                case "isActive" -> { return false; }
                default -> { }
            }
            return null;
        });
        CopyBuffer buffer = new CopyBuffer(copy, CopyEncoder.binary(List.of(column("bool"))));
        buffer.row(new Object[] {true});
        buffer.row(new Object[] {null});
        buffer.finish();
        assertEquals("5047434f50590aff0d0a00" + "00000000" + "00000000" + "0001" + "00000001" + "01" + "0001" + "ffffffff" + "ffff",
            HexFormat.of().formatHex(sent.toByteArray()));
        assertEquals(sent.size(), buffer.bytes());

        sent.reset();
        CopyBuffer textBuffer = new CopyBuffer(copy, CopyEncoder.text());
        textBuffer.row(new Object[] {"x\ty", null});
        textBuffer.finish();
        assertEquals("x\\ty\t\\N\n", sent.toString(StandardCharsets.UTF_8), "text format: no header, no trailer");
    }

    @Test
    void theChecksumIgnoresRowOrderButSeesEveryChangedValue() {
        RowChecksum checksum = new RowChecksum();
        Object[] first = {1L, "alpha", null};
        Object[] second = {2L, "beta", new byte[] {1, 2}};
        Object[] third = {3L, "gamma", new Values.JsonText("{\"a\": 1}")};
        assertEquals(checksum.of(first) + checksum.of(second) + checksum.of(third), checksum.of(third) + checksum.of(first) + checksum.of(second));

        assertNotEquals(checksum.of(first), checksum.of(new Object[] {1L, "alphA", null}), "a changed value");
        assertNotEquals(checksum.of(second), checksum.of(new Object[] {2L, "beta", new byte[] {1, 3}}), "a changed byte");
        assertNotEquals(checksum.of(new Object[] {"a", "b"}), checksum.of(new Object[] {"b", "a"}), "values swapped between columns");
        assertNotEquals(checksum.of(new Object[] {"ab", ""}), checksum.of(new Object[] {"a", "b"}), "a value moved across the separator");
        assertNotEquals(checksum.of(new Object[] {null}), checksum.of(new Object[] {""}), "NULL is not the empty text");
    }

    @Test
    void theChecksumComparesWhatPostgreSQLNormalises() {
        RowChecksum checksum = new RowChecksum();
        assertEquals(checksum.of(new Object[] {new Values.JsonText("{\"a\": 1.50, \"b\": [1, {\"y\": 2, \"x\": 3}]}")}),
            checksum.of(new Object[] {new Values.JsonText("{\"b\":[1.0,{\"x\":3,\"y\":2}],\"a\":1.5}")}), "jsonb reorders keys and numbers");
        assertEquals(checksum.of(new Object[] {new BigDecimal("2.50")}), checksum.of(new Object[] {new BigDecimal("2.5")}));
        assertEquals(checksum.of(new Object[] {OffsetDateTime.of(2025, 1, 1, 12, 0, 0, 0, ZoneOffset.ofHours(2))}),
            checksum.of(new Object[] {OffsetDateTime.of(2025, 1, 1, 10, 0, 0, 0, ZoneOffset.UTC)}), "the same instant in another zone");
        assertNotEquals(checksum.of(new Object[] {new Values.JsonText("{\"a\": 1}")}), checksum.of(new Object[] {new Values.JsonText("{\"a\": 2}")}));
    }

    /**
     * SQLite TEXT read as its bytes (Values.Utf8) must end exactly as the String SQLite's driver decoded did: the same
     * characters sent, the same refusals (NUL, too long) with the same words, --strip-nul alike; bytes that are not
     * UTF-8 are refused naming the first bad byte where Java's strict decoder finds it, or with --replace-invalid-utf8
     * arrive as the driver's replacement characters, in both COPY formats and the checksum alike. Edge cases, then
     * 20,000 random byte strings.
     */
    @Test
    void textReadAsBytesEndsExactlyAsTheDecodedStringDid() throws Exception {
        List<byte[]> inputs = new java.util.ArrayList<>();
        for (String text : List.of("", "plain", "caf\u00e9 \u6771\u4eac \ud83d\udcc8", "tab\tnew\nline\\", "nul\u0000inside", "\u0000"))
            inputs.add(text.getBytes(StandardCharsets.UTF_8));
        int[][] edges = {{0xff}, {0xc0, 0xaf}, {0xc1, 0xbf}, {0xe0, 0x80, 0xaf}, {0xed, 0xa0, 0x80}, {0xed, 0x9f, 0xbf}, {0xf4, 0x90, 0x80, 0x80},
            {0xf4, 0x8f, 0xbf, 0xbf}, {0xf0, 0x8f, 0xbf, 0xbf}, {0xf0, 0x90, 0x80, 0x80}, {0xe2, 0x82}, {0x41, 0xe2}, {0x80}, {0xf5, 0x80, 0x80, 0x80},
            {0xc2, 0x00}, {0xef, 0xbf, 0xbf}, {0xee, 0x80, 0x80}, {0x00, 0xc3, 0xa9}};
        for (int[] edge : edges) {
            byte[] bytes = new byte[edge.length];
            for (int i = 0; i < edge.length; i++) bytes[i] = (byte) edge[i];
            inputs.add(bytes);
        }
        java.util.SplittableRandom random = new java.util.SplittableRandom(14);
        byte[] alphabet = {'a', 0, (byte) 0x80, (byte) 0xbf, (byte) 0xc2, (byte) 0xc3, (byte) 0xe0, (byte) 0xe2, (byte) 0xed, (byte) 0xf0, (byte) 0xf4, (byte) 0xff, (byte) 0xa0, (byte) 0x9f};
        for (int n = 0; n < 20_000; n++) {
            byte[] bytes = new byte[random.nextInt(8)];
            for (int i = 0; i < bytes.length; i++) bytes[i] = random.nextBoolean() ? alphabet[random.nextInt(alphabet.length)] : (byte) random.nextInt(256);
            inputs.add(bytes);
        }
        int wellFormed = 0;
        for (byte[] bytes : inputs) {
            boolean strict = strictlyDecodes(bytes);
            assertEquals(strict, Values.isWellFormedUtf8(bytes), "well-formed as Java's strict decoder says: " + HexFormat.of().formatHex(bytes));
            if (strict) wellFormed++;
            String decoded = new String(bytes, StandardCharsets.UTF_8); // what getObject gave
            String notUtf8 = strict ? null : "refused: text that is not well-formed UTF-8, first bad byte 0x%02x at offset %d"
                .formatted(bytes[firstMalformed(bytes)] & 0xff, firstMalformed(bytes));
            for (boolean replaceInvalid : new boolean[] {false, true}) {
                for (boolean stripNul : new boolean[] {false, true}) {
                    for (Integer maxLength : new Integer[] {null, 0, 1, 2, 3, 5}) {
                        String expected, got;
                        try {
                            expected = notUtf8 != null && !replaceInvalid ? notUtf8 : Values.text(decoded, stripNul, maxLength);
                        } catch (BadValue refused) {
                            expected = "refused: " + refused.getMessage();
                        }
                        try {
                            Values.Utf8 read = new Values.Utf8(bytes);
                            Values.Utf8 checked = Values.wellFormed(read, replaceInvalid);
                            assertEquals(strict, checked == read, "a value is new exactly when it was changed (the count)");
                            Object value = Values.text(checked, stripNul, maxLength);
                            got = value instanceof Values.Utf8 utf8 ? new String(utf8.bytes(), StandardCharsets.UTF_8) : (String) value;
                            if (value instanceof Values.Utf8 utf8) assertTrue(Values.isWellFormedUtf8(utf8.bytes()), "only well-formed bytes are sent as they are");
                        } catch (BadValue refused) {
                            got = "refused: " + refused.getMessage();
                        }
                        assertEquals(expected, got, HexFormat.of().formatHex(bytes) + " replaceInvalid=" + replaceInvalid + " stripNul=" + stripNul + " maxLength=" + maxLength);
                    }
                }
            }
            Values.Utf8 sent = Values.wellFormed(new Values.Utf8(bytes), true);
            assertEquals(text(decoded), text(sent), "text format: the characters PostgreSQL stores");
            assertEquals(binaryHex(List.of(column("text")), decoded), binaryHex(List.of(column("text")), sent), "binary format: the same bytes");
            RowChecksum checksum = new RowChecksum();
            assertEquals(checksum.of(new Object[] {decoded}), checksum.of(new Object[] {sent}), "--verify sums what PostgreSQL will read back");
        }
        assertTrue(wellFormed > 1_000 && wellFormed < inputs.size() - 1_000, "both kinds were tried: " + wellFormed + " of " + inputs.size());
        byte[] cafe = "caf\u00e9".getBytes(StandardCharsets.UTF_8);
        assertEquals(binaryHex(List.of(column("text")), "caf\u00e9"), binaryHex(List.of(column("text")), new Values.Utf8(cafe)), "binary COPY: the bytes as they are");
        RowChecksum checksum = new RowChecksum();
        assertEquals(checksum.of(new Object[] {"caf\u00e9"}), checksum.of(new Object[] {new Values.Utf8(cafe)}), "--verify sums the same text");
    }

    /** Where Java's strict decoder stops: the start of the first malformed sequence. */
    private static int firstMalformed(byte[] bytes) {
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
        java.nio.charset.CoderResult result = StandardCharsets.UTF_8.newDecoder().decode(in, java.nio.CharBuffer.allocate(bytes.length), true);
        assertTrue(result.isMalformed(), HexFormat.of().formatHex(bytes));
        return in.position();
    }

    /**
     * Latin-1 text (as another program writes it) in a UTF-8 file: refused by default with the first bad byte; with
     * --replace-invalid-utf8 U+FFFD in its place, sent alike in binary and text COPY, for text and JSON, and summed by
     * --verify as PostgreSQL reads it back.
     */
    @Test
    void latin1TextIsRefusedOrReplacedAndSentAsTheChecksumSumsIt() throws Exception {
        byte[] latin1 = "caf\u00e9 au lait".getBytes(StandardCharsets.ISO_8859_1);
        BadValue refused = assertThrows(BadValue.class, () -> Values.wellFormed(new Values.Utf8(latin1), false));
        assertEquals("text that is not well-formed UTF-8, first bad byte 0xe9 at offset 3", refused.getMessage());
        Values.Utf8 replaced = Values.wellFormed(new Values.Utf8(latin1), true);
        assertEquals("636166efbfbd206175206c616974", HexFormat.of().formatHex(replaced.bytes()), "U+FFFD as UTF-8, the rest as it was");
        Object sent = ValueConverter.forColumn(column("text"), false).convert(replaced);
        assertEquals("0001" + "0000000e" + "636166efbfbd206175206c616974", binaryHex(List.of(column("text")), sent));
        assertEquals("caf\ufffd au lait\n", text(sent));
        RowChecksum checksum = new RowChecksum();
        assertEquals(checksum.of(new Object[] {"caf\ufffd au lait"}), checksum.of(new Object[] {sent}));
        assertNotEquals(checksum.of(new Object[] {"caf\u00e9 au lait"}), checksum.of(new Object[] {sent}), "a replaced value is not the text it was meant to be");

        byte[] json = "{\"city\": \"S\u00e3o Paulo\"}".getBytes(StandardCharsets.ISO_8859_1);
        assertThrows(BadValue.class, () -> Values.wellFormed(new Values.Utf8(json), false));
        Object jsonSent = ValueConverter.forColumn(column("jsonb"), false).convert(Values.wellFormed(new Values.Utf8(json), true));
        assertEquals("{\"city\": \"S\ufffdo Paulo\"}\n", text(jsonSent));
        assertEquals(binaryHex(List.of(column("jsonb")), new Values.JsonText("{\"city\": \"S\ufffdo Paulo\"}")), binaryHex(List.of(column("jsonb")), jsonSent));
        assertEquals(checksum.of(new Object[] {new Values.JsonText("{\"city\": \"S\ufffdo Paulo\"}")}), checksum.of(new Object[] {jsonSent}));

        assertEquals("0001" + "00000002" + "80ff", binaryHex(List.of(column("bytea")),
            ValueConverter.forColumn(column("bytea"), false).convert(new Values.Utf8(new byte[] {(byte) 0x80, (byte) 0xff}))), "bytea: text's bytes as they are");
        assertEquals(new Values.RawText("10.0.0.1/32"), ValueConverter.forColumn(column("inet"), false).convert(new Values.Utf8("10.0.0.1/32".getBytes(StandardCharsets.UTF_8))),
            "types PostgreSQL parses, now read as bytes too, get the text");
        assertEquals("ab", ValueConverter.forColumn(column("bpchar"), false).convert(new Values.Utf8("ab  ".getBytes(StandardCharsets.UTF_8))), "char(n): trailing blanks stripped");
    }

    private static boolean strictlyDecodes(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes));
            return true;
        } catch (java.nio.charset.CharacterCodingException e) {
            return false;
        }
    }

    /**
     * JSON checked as SQLite's bytes ends exactly as the String way: the same text sent, or the same refusal in the
     * same words, for json and jsonb, with and without --strip-nul. Valid documents, then 30,000 random edits of them.
     */
    @Test
    void jsonCheckedAsBytesEndsExactlyAsTheStringWay() {
        List<String> seeds = List.of("{}", "[]", "{\"a\": [1, -2.5e+3, 0, 0.5E-2, true, false, null, \"x\\\"y\\\\z\\/\\b\\f\\n\\r\\t\"]}",
            "\"\\ud83d\\ude80\"", "\"caf\u00e9 \ud83d\ude80\"", "12", "-0", "[[[[1]]]]", "{\"a\":{\"b\":{}}}", "\"\\u0000\"",
            "{\"model\":\"gpt-4o\",\"tokens\":12,\"tags\":[\"a\",\"b\"],\"cost\":0.25}", " [true , null] ");
        String alphabet = "{}[]\",:0123456789-+.eE tfnrulsa\\/u\u00e9\u20ac\t\n\u0000\u001f\u0001x";
        java.util.SplittableRandom random = new java.util.SplittableRandom(1414);
        List<byte[]> inputs = new java.util.ArrayList<>();
        for (String seed : seeds) inputs.add(seed.getBytes(StandardCharsets.UTF_8));
        for (int n = 0; n < 30_000; n++) {
            StringBuilder text = new StringBuilder(seeds.get(random.nextInt(seeds.size())));
            for (int edits = 1 + random.nextInt(3); edits > 0; edits--) randomEdit(text, alphabet, random);
            byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
            if (random.nextInt(20) == 0 && bytes.length > 0) bytes[random.nextInt(bytes.length)] = (byte) 0xff; // not UTF-8
            inputs.add(bytes);
        }
        int sentAsBytes = 0, refused = 0;
        for (byte[] bytes : inputs) {
            for (boolean jsonb : new boolean[] {false, true}) {
                for (boolean stripNul : new boolean[] {false, true}) {
                    String expected = jsonOutcome(new String(bytes, StandardCharsets.UTF_8), stripNul, jsonb);
                    String got = jsonOutcome(new Values.Utf8(bytes), stripNul, jsonb);
                    assertEquals(expected, got, HexFormat.of().formatHex(bytes) + " jsonb=" + jsonb + " stripNul=" + stripNul);
                    if (expected.startsWith("refused")) refused++;
                    else if (jsonValue(new Values.Utf8(bytes), stripNul, jsonb) instanceof Values.JsonUtf8) sentAsBytes++;
                }
            }
        }
        assertTrue(sentAsBytes > 5_000 && refused > 5_000, "both ways were taken: " + sentAsBytes + " sent as bytes, " + refused + " refused");
        byte[] doc = "{\"b\": [1.0], \"a\": \"\u00e9\"}".getBytes(StandardCharsets.UTF_8);
        for (String type : List.of("json", "jsonb")) {
            assertEquals(binaryHex(List.of(column(type)), new Values.JsonText(new String(doc, StandardCharsets.UTF_8))),
                binaryHex(List.of(column(type)), new Values.JsonUtf8(doc)), type + ": the same bytes on the wire");
        }
        RowChecksum checksum = new RowChecksum();
        assertEquals(checksum.of(new Object[] {new Values.JsonText("{\"a\": \"\u00e9\", \"b\": [1]}")}), checksum.of(new Object[] {new Values.JsonUtf8(doc)}));
    }

    private static Object jsonValue(Object value, boolean stripNul, boolean jsonb) {
        try {
            return Values.json(value, stripNul, jsonb);
        } catch (BadValue e) {
            return null;
        }
    }

    private static String jsonOutcome(Object value, boolean stripNul, boolean jsonb) {
        try {
            Object json = Values.json(value, stripNul, jsonb);
            return "sent: " + (json instanceof Values.JsonUtf8 utf8 ? utf8.text() : ((Values.JsonText) json).text());
        } catch (BadValue e) {
            return "refused: " + e.getMessage();
        }
    }

    /**
     * uuids and timestamps read from SQLite's bytes end exactly as from the decoded String: the same value or the
     * same refusal, for the forms parsed by hand and everything that falls back. Seeds, then 30,000 random edits.
     */
    @Test
    void uuidsAndTimestampsReadFromBytesEndAsFromTheString() {
        List<String> seeds = List.of("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "0190A1B2C3D47E5F8A9B0C1D2E3F4A5B", " 0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b ",
            "2025-06-11T01:56:38.123456789+00:00", "2025-06-11 01:56:38", "2025-06-11T01:56:38Z", "2025-06-11T01:56:38.5-05:30", "2024-02-30 00:00:00",
            "2025-06-11", "2025-06-11 01:56:38 UTC", "2025-06-11T01:56", "1718000000", "1718000000123", "2025-06-11T01:56:38+0200", " 2025-06-11 01:56:38");
        String alphabet = "0123456789-:.T Z+abcdefABCDEF\u00e9\u0663x";
        java.util.SplittableRandom random = new java.util.SplittableRandom(4141);
        List<String> inputs = new java.util.ArrayList<>(seeds);
        for (int n = 0; n < 30_000; n++) {
            StringBuilder text = new StringBuilder(seeds.get(random.nextInt(seeds.size())));
            randomEdit(text, alphabet, random);
            inputs.add(text.toString());
        }
        int parsed = 0;
        for (String text : inputs) {
            Values.Utf8 bytes = new Values.Utf8(text.getBytes(StandardCharsets.UTF_8));
            String expected = outcome(() -> Values.uuid(text)), got = outcome(() -> Values.uuid(bytes));
            assertEquals(expected, got, "uuid " + text);
            expected = outcome(() -> Values.instant(text));
            got = outcome(() -> Values.instant(bytes));
            assertEquals(expected, got, "timestamp " + text);
            if (!expected.startsWith("refused")) parsed++;
        }
        assertTrue(parsed > 2_000 && parsed < inputs.size() - 2_000, "both kinds were tried: " + parsed + " of " + inputs.size());
    }

    private interface Conversion { Object convert() throws BadValue; }

    private static String outcome(Conversion conversion) {
        try {
            return "value: " + conversion.convert();
        } catch (BadValue e) {
            return "refused: " + e.getMessage();
        }
    }

    /** One character of alphabet inserted, or one deleted or replaced, at a random place: near-misses of valid input. */
    private static void randomEdit(StringBuilder text, String alphabet, java.util.SplittableRandom random) {
        int at = random.nextInt(text.length() + 1);
        char c = alphabet.charAt(random.nextInt(alphabet.length()));
        switch (random.nextInt(3)) {
            case 0 -> text.insert(at, c);
            case 1 -> { if (at < text.length()) text.deleteCharAt(at); }
            default -> { if (at < text.length()) text.setCharAt(at, c); }
        }
    }
}
