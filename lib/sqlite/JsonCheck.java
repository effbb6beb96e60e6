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
}
