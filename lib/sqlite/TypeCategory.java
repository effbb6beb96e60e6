/** The kinds of target column type that conversion, COPY encoding and checksums tell apart. */
public enum TypeCategory {
    UUID, BOOLEAN, INTEGER, NUMERIC, REAL, DOUBLE, TIMESTAMPTZ, TIMESTAMP, DATE, JSON, BYTEA, TEXT, OTHER;

    /** udtName: pg_type's name, as information_schema's udt_name. */
    public static TypeCategory of(String udtName) {
        return switch (udtName) {
            case "uuid" -> UUID;
            case "bool" -> BOOLEAN;
            case "int2", "int4", "int8" -> INTEGER;
            case "numeric" -> NUMERIC;
            case "float4" -> REAL;
            case "float8" -> DOUBLE;
            case "timestamptz" -> TIMESTAMPTZ;
            case "timestamp" -> TIMESTAMP;
            case "date" -> DATE;
            case "json", "jsonb" -> JSON;
            case "bytea" -> BYTEA;
            case "text", "varchar", "bpchar", "name", "citext" -> TEXT;
            default -> OTHER;
        };
    }
}
