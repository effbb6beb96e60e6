import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/** One SQLite value to the Java value its target column takes, chosen by the column's type; a BadValue says why not. */
@FunctionalInterface
public interface ValueConverter {
    Object convert(Object sqliteValue) throws BadValue;

    /** stripNul: remove NUL characters (and escaped NULs from jsonb), which PostgreSQL rejects, instead of refusing them. */
    static ValueConverter forColumn(TargetSchema.Column column, boolean stripNul) {
        return switch (column.category()) {
            case UUID -> Values::uuid;
            case BOOLEAN -> Values::bool;
            case INTEGER -> value -> Values.integer(value, column.type());
            case NUMERIC -> Values::numeric;
            case REAL -> value -> Values.floating(value).floatValue();
            case DOUBLE -> Values::floating;
            case TIMESTAMPTZ -> value -> Values.instant(value).atOffset(ZoneOffset.UTC);
            case TIMESTAMP -> value -> LocalDateTime.ofInstant(Values.instant(value), ZoneOffset.UTC);
            case DATE -> value -> LocalDate.ofInstant(Values.instant(value), ZoneOffset.UTC);
            case JSON -> value -> Values.json(value, stripNul, column.type().equals("jsonb"));
            case BYTEA -> value -> value instanceof byte[] bytes ? bytes : value instanceof Values.Utf8 utf8 ? utf8.bytes() // text's bytes as SQLite holds them
                : String.valueOf(value).getBytes(StandardCharsets.UTF_8);
            case TEXT -> column.type().equals("bpchar")
                ? value -> Values.text(value instanceof Values.Utf8 utf8 ? utf8.text() : value, stripNul, column.maxLength()).stripTrailing() // char(n): trailing blanks carry no meaning
                : value -> value instanceof Values.Utf8 utf8 ? Values.text(utf8, stripNul, column.maxLength()) : Values.text(value, stripNul, column.maxLength());
            case OTHER -> value -> new Values.RawText(Values.text(value instanceof Values.Utf8 utf8 ? utf8.text() : value, stripNul, null));
        };
    }
}
