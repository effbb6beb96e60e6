/**
 * Whether text is one JSON value as PostgreSQL's json and jsonb input read it (RFC 8259: no comments, NaN, single
 * quotes or leading zeros; control characters only escaped), checked in one pass over the characters without
 * building anything: a parser per value cost more than the rest of a JSON-heavy row. For jsonb, its own extra
 * refusal is checked too: an escape of a lone surrogate (an escaped NUL is Values.json's, which can strip it).
 */
public final class JsonCheck {
    private final String text;
    private final boolean jsonb;
    private int position;

    private JsonCheck(String text, boolean jsonb) {
        this.text = text;
        this.jsonb = jsonb;
    }

    /** null when text is one JSON value, else why not, said for the user (with the character where it goes wrong). */
    public static String problem(String text, boolean jsonb) {
        JsonCheck check = new JsonCheck(text, jsonb);
        try {
            check.blanks();
            if (check.position == text.length()) return "empty JSON";
            check.value();
            check.blanks();
            if (check.position != text.length()) return "invalid JSON: more than one value (at character " + (check.position + 1) + ")";
            return null;
        } catch (Invalid e) {
            return "invalid JSON (" + e.getMessage() + ")";
        }
    }

    private static final class Invalid extends Exception {
        Invalid(String message) { super(message, null, false, false); }
    }

    /** Objects and arrays nest on an explicit stack, so deep nesting cannot overflow the thread's. */
    private void value() throws Invalid {
        java.util.ArrayDeque<Character> open = new java.util.ArrayDeque<>();
        while (true) {
            blanks();
            char c = next("a value");
            boolean closed = false;
            switch (c) {
                case '{' -> {
                    blanks();
                    if (peek() == '}') { position++; closed = true; }
                    else { open.push('}'); key(); }
                }
                case '[' -> {
                    blanks();
                    if (peek() == ']') { position++; closed = true; }
                    else { open.push(']'); continue; }
                }
                case '"' -> { string(); closed = true; }
                case 't' -> { literal("rue"); closed = true; }
                case 'f' -> { literal("alse"); closed = true; }
                case 'n' -> { literal("ull"); closed = true; }
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) { position--; number(); closed = true; }
                    else throw invalid("unexpected character '" + c + "'", position - 1);
                }
            }
            if (!closed) continue; // an object's first value follows its key
            // after a complete value: close what ends here, or go on to the next member or element
            while (true) {
                if (open.isEmpty()) return;
                blanks();
                char close = open.peek();
                if (position >= text.length()) throw invalid("the text ends where ',' or '" + close + "' should be", position);
                char after = text.charAt(position++);
                if (after == close) { open.pop(); continue; }
                if (after != ',') throw invalid("expected ',' or '" + close + "'", position - 1);
                if (open.peek() == '}') { blanks(); key(); }
                break;
            }
        }
    }

    /** A member's name and its colon (the opening quote not yet read). */
    private void key() throws Invalid {
        if (next("a member name") != '"') throw invalid("expected a member name in double quotes", position - 1);
        string();
        blanks();
        if (next("':'") != ':') throw invalid("expected ':'", position - 1);
    }

    /** The rest of a string after its opening quote. */
    private void string() throws Invalid {
        int length = text.length();
        while (position < length) {
            char c = text.charAt(position++);
            if (c == '"') return;
            if (c < 0x20) throw invalid("a control character in a string must be escaped", position - 1);
            if (c != '\\') continue;
            char escape = next("an escape");
            switch (escape) {
                case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> { }
                case 'u' -> {
                    int unit = hex4();
                    if (!jsonb) continue;
                    if (Character.isHighSurrogate((char) unit)) {
                        if (position + 6 > length || text.charAt(position) != '\\' || text.charAt(position + 1) != 'u') {
                            throw invalid("a high surrogate escape without its low one", position - 6);
                        }
                        position += 2;
                        if (!Character.isLowSurrogate((char) hex4())) throw invalid("a high surrogate escape without its low one", position - 12);
                    } else if (Character.isLowSurrogate((char) unit)) {
                        throw invalid("a low surrogate escape without its high one", position - 6);
                    }
                }
                default -> throw invalid("unknown escape '\\" + escape + "'", position - 2);
            }
        }
        throw invalid("a string that does not end", length);
    }

    private int hex4() throws Invalid {
        if (position + 4 > text.length()) throw invalid("a \\u escape needs four hex digits", position);
        int value = 0;
        for (int i = 0; i < 4; i++) {
            char c = text.charAt(position++);
            int digit = c <= 'f' ? Character.digit(c, 16) : -1;
            if (digit < 0) throw invalid("a \\u escape needs four hex digits", position - 1);
            value = value << 4 | digit;
        }
        return value;
    }

    private void number() throws Invalid {
        int start = position;
        if (peek() == '-') position++;
        if (peek() == '0') position++;
        else if (!digits()) throw invalid("a number needs digits", start);
        if (peek() == '.') {
            position++;
            if (!digits()) throw invalid("a number needs digits after its point", start);
        }
        if (peek() == 'e' || peek() == 'E') {
            position++;
            if (peek() == '+' || peek() == '-') position++;
            if (!digits()) throw invalid("a number needs digits in its exponent", start);
        }
        char after = peek();
        if ((after >= '0' && after <= '9') || after == '.' || Character.isLetter(after)) throw invalid("not a number", start);
    }

    private boolean digits() {
        int start = position;
        while (position < text.length() && text.charAt(position) >= '0' && text.charAt(position) <= '9') position++;
        return position > start;
    }

    private void literal(String rest) throws Invalid {
        if (!text.startsWith(rest, position)) throw invalid("unexpected word", position - 1);
        position += rest.length();
        char after = peek();
        if (Character.isLetterOrDigit(after) || after == '_') throw invalid("unexpected word", position - rest.length() - 1);
    }

    private void blanks() {
        while (position < text.length()) {
            char c = text.charAt(position);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            position++;
        }
    }

    /** The character at the position, or 0 at the end. */
    private char peek() { return position < text.length() ? text.charAt(position) : 0; }

    private char next(String expected) throws Invalid {
        if (position >= text.length()) throw invalid("the text ends where " + expected + " should be", position);
        return text.charAt(position++);
    }

    private static Invalid invalid(String what, int at) { return new Invalid(what + " at character " + (at + 1)); }

    /**
     * Whether well-formed UTF-8 bytes hold one JSON value that problem(...) accepts, without decoding them: the
     * same grammar, byte by byte (JSON's structure is ASCII; a byte past 0x7f can only be part of a string). Only
     * the verdict: a value it refuses goes through problem(...), which says why in characters.
     */
    public static boolean accepts(byte[] text, boolean jsonb) {
        return new Bytes(text, jsonb).accepts();
    }

    private static final class Bytes {
        private final byte[] text;
        private final boolean jsonb;
        private int position;
        private byte[] open = new byte[16]; // the closing brackets awaited, innermost last
        private int depth;

        Bytes(byte[] text, boolean jsonb) {
            this.text = text;
            this.jsonb = jsonb;
        }

        boolean accepts() {
            blanks();
            if (position == text.length || !value()) return false;
            blanks();
            return position == text.length;
        }

        private boolean value() {
            while (true) {
                blanks();
                if (position >= text.length) return false;
                byte c = text[position++];
                boolean closed = false;
                switch (c) {
                    case '{' -> {
                        blanks();
                        if (peek() == '}') { position++; closed = true; }
                        else { push((byte) '}'); if (!key()) return false; }
                    }
                    case '[' -> {
                        blanks();
                        if (peek() == ']') { position++; closed = true; }
                        else { push((byte) ']'); continue; }
                    }
                    case '"' -> { if (!string()) return false; closed = true; }
                    case 't' -> { if (!literal("rue")) return false; closed = true; }
                    case 'f' -> { if (!literal("alse")) return false; closed = true; }
                    case 'n' -> { if (!literal("ull")) return false; closed = true; }
                    default -> {
                        if (c == '-' || (c >= '0' && c <= '9')) { position--; if (!number()) return false; closed = true; }
                        else return false;
                    }
                }
                if (!closed) continue;
                while (true) {
                    if (depth == 0) return true;
                    blanks();
                    if (position >= text.length) return false;
                    byte after = text[position++];
                    if (after == open[depth - 1]) { depth--; continue; }
                    if (after != ',') return false;
                    if (open[depth - 1] == '}') { blanks(); if (!key()) return false; }
                    break;
                }
            }
        }

        private void push(byte close) {
            if (depth == open.length) open = java.util.Arrays.copyOf(open, depth * 2);
            open[depth++] = close;
        }

        private boolean key() {
            if (position >= text.length || text[position++] != '"' || !string()) return false;
            blanks();
            return position < text.length && text[position++] == ':';
        }

        private boolean string() {
            int length = text.length;
            while (position < length) {
                int c = text[position++] & 0xff;
                if (c == '"') return true;
                if (c < 0x20) return false;
                if (c != '\\') continue;
                if (position >= length) return false;
                switch (text[position++]) {
                    case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> { }
                    case 'u' -> {
                        int unit = hex4();
                        if (unit < 0) return false;
                        if (!jsonb) continue;
                        if (Character.isHighSurrogate((char) unit)) {
                            if (position + 6 > length || text[position] != '\\' || text[position + 1] != 'u') return false;
                            position += 2;
                            int low = hex4();
                            if (low < 0 || !Character.isLowSurrogate((char) low)) return false;
                        } else if (Character.isLowSurrogate((char) unit)) {
                            return false;
                        }
                    }
                    default -> { return false; }
                }
            }
            return false;
        }

        /** Four hex digits as a number, or -1. */
        private int hex4() {
            if (position + 4 > text.length) return -1;
            int value = 0;
            for (int i = 0; i < 4; i++) {
                int c = text[position++];
                int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                if (digit < 0) return -1;
                value = value << 4 | digit;
            }
            return value;
        }

        private boolean number() {
            if (peek() == '-') position++;
            if (peek() == '0') position++;
            else if (!digits()) return false;
            if (peek() == '.') {
                position++;
                if (!digits()) return false;
            }
            if (peek() == 'e' || peek() == 'E') {
                position++;
                if (peek() == '+' || peek() == '-') position++;
                if (!digits()) return false;
            }
            int after = peek();
            return !((after >= '0' && after <= '9') || after == '.' || (after >= 'a' && after <= 'z') || (after >= 'A' && after <= 'Z') || after < 0);
        }

        private boolean digits() {
            int start = position;
            while (position < text.length && text[position] >= '0' && text[position] <= '9') position++;
            return position > start;
        }

        private boolean literal(String rest) {
            if (position + rest.length() > text.length) return false;
            for (int i = 0; i < rest.length(); i++) if (text[position + i] != rest.charAt(i)) return false;
            position += rest.length();
            int after = peek();
            return !((after >= '0' && after <= '9') || (after >= 'a' && after <= 'z') || (after >= 'A' && after <= 'Z') || after == '_' || after < 0);
        }

        private void blanks() {
            while (position < text.length) {
                byte c = text[position];
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
                position++;
            }
        }

        /** The byte at the position (negative past 0x7f), or 0 at the end. */
        private int peek() { return position < text.length ? text[position] : 0; }
    }
}
