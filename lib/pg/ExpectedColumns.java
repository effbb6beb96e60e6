//FILES migrations/expected-columns.json=../../migrations/expected-columns.json

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The columns migrations/ make, after each migration, as kept in migrations/expected-columns.json: what a foreign
 * schema is compared with (SchemaComparison), so that comparing runs no migration and writes nothing. The file is
 * made from migrations/ on a real PostgreSQL by ExpectedColumnsTest, which fails whenever the two part.
 *
 * @param version  the migration
 * @param script   its file under migrations/
 * @param sha256   of its text (line endings as \n): a file made from other migrations is refused, not believed
 * @param tables   table -> column -> "type [NOT NULL]", in PostgreSQL's order (table name, column number)
 */
public record ExpectedColumns(String version, String script, String sha256, Map<String, Map<String, String>> tables) {

    /** Where the file is, in the repository and (bundled) on the classpath. */
    public static final String FILE = "migrations/expected-columns.json";

    /** How to make the file again, for the developer who added a migration (README, Schema). */
    public static final String REGENERATE = "mvn -B test -Dtest=ExpectedColumnsTest -Doxy.expectedColumns=write";

    /** The file as a whole: a note for whoever opens it, then one entry per migration, in order. */
    private record Kept(String note, List<ExpectedColumns> migrations) {}

    /** The columns after each of the bundled migrations, in their order; refused when the file was made from other migrations. */
    public static List<ExpectedColumns> after(List<SchemaMigrations.Migration> bundled) {
        List<ExpectedColumns> kept = read().migrations();
        for (int i = 0; i < Math.max(bundled.size(), kept.size()); i++) {
            if (i >= kept.size()) throw stale(bundled.get(i) + " is not in it");
            if (i >= bundled.size()) throw stale("it has V" + kept.get(i).version() + ", which is not bundled");
            SchemaMigrations.Migration migration = bundled.get(i);
            ExpectedColumns entry = kept.get(i);
            if (!entry.version().equals(migration.version()) || !entry.script().equals(migration.script())) {
                throw stale("it has " + entry.script() + " where migrations/ have " + migration.script());
            }
            String script = SchemaMigrations.scriptsOf(List.of(migration)).get(0);
            if (!entry.sha256().equals(sha256Of(script))) throw stale(migration.script() + " changed after it was made");
        }
        return kept;
    }

    /** The entries as kept, unchecked against the bundled migrations: enough to know which scripts they are. */
    public static List<ExpectedColumns> kept() {
        return read().migrations();
    }

    /** The file's text for these entries: what ExpectedColumnsTest compares with the kept file (and writes, when asked). */
    public static String toJson(List<ExpectedColumns> migrations) {
        Kept kept = new Kept("Made from migrations/ by ExpectedColumnsTest; do not edit. After adding a migration: " + REGENERATE, migrations);
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(kept).replace("\r\n", "\n") + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e); // plain strings and maps always serialize
        }
    }

    /** The checksum a migration's text is kept with; line endings do not count (a checkout may change them). */
    public static String sha256Of(String script) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(script.replace("\r\n", "\n").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JVM has SHA-256
        }
    }

    private static Kept read() {
        try (InputStream in = ExpectedColumns.class.getResourceAsStream("/" + FILE)) {
            if (in == null) throw new OxyError(ExitCode.FAILED, FILE + " is not bundled", "Rebuild the scripts from a complete checkout.");
            return new ObjectMapper().readValue(in, Kept.class);
        } catch (IOException e) {
            throw stale("it cannot be read: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static OxyError stale(String why) {
        return new OxyError(ExitCode.FAILED, FILE + " was not made from the bundled migrations (" + why + ")",
            "Make it again from migrations/: " + REGENERATE + " (README, Schema).");
    }
}
