import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.math.BigInteger;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * flyway_schema_history read without Flyway, for status (Flyway's set-up is ~0.3 s of CPU): when every row is a
 * successful SQL migration of a bundled file, in order, with the file's checksum, the state is plain (current version,
 * the later files pending, no drift) and Flyway would say the same. Anything else (a failed, baselined, edited, missing
 * or newer migration, a file name Flyway would refuse) is left to Flyway's rules: the answer is empty.
 */
public final class SchemaHistory {
    private SchemaHistory() {}

    /** A bundled migration file: what Flyway reads from its name, and its checksum as Flyway computes it. */
    record Bundled(SchemaMigrations.Migration migration, List<BigInteger> versionParts, int checksum) {}

    /** Flyway's versioned SQL migration name: V<version, '_' or '.' between parts>__<description>.sql. */
    private static final Pattern VERSIONED = Pattern.compile("V([0-9]+(?:[._][0-9]+)*)__(.+)\\.sql");

    /** The schema's state on this connection when it is plain; empty when Flyway's rules are needed. Reads only. */
    public static Optional<SchemaMigrations.SchemaState> plainState(Connection connection) throws SQLException {
        Optional<List<Bundled>> found = bundled();
        if (found.isEmpty()) return Optional.empty();
        List<Bundled> bundled = found.get();
        int applied = 0; // rows must be the bundled files from the first, in their order
        try (Statement statement = connection.createStatement();
             ResultSet exists = statement.executeQuery("SELECT to_regclass('flyway_schema_history') IS NOT NULL")) {
            exists.next();
            if (exists.getBoolean(1)) {
                try (ResultSet rows = statement.executeQuery(
                         "SELECT version, type, checksum, success FROM flyway_schema_history ORDER BY installed_rank")) {
                    while (rows.next()) {
                        if (applied >= bundled.size()) return Optional.empty();
                        Bundled expected = bundled.get(applied);
                        Object checksum = rows.getObject(3);
                        boolean plain = expected.migration().version().equals(rows.getString(1)) && "SQL".equals(rows.getString(2))
                            && checksum instanceof Integer sum && sum == expected.checksum() && rows.getBoolean(4);
                        if (!plain) return Optional.empty();
                        applied++;
                    }
                }
            }
        }
        String current = applied == 0 ? null : bundled.get(applied - 1).migration().version();
        List<SchemaMigrations.Migration> pending = bundled.subList(applied, bundled.size()).stream().map(Bundled::migration).toList();
        return Optional.of(new SchemaMigrations.SchemaState(current, pending, List.of()));
    }

    /** The bundled migrations/*.sql in version order; empty when none are, or one is not a plain versioned migration. */
    static Optional<List<Bundled>> bundled() {
        List<String> names;
        try {
            Optional<List<String>> listed = bundledNames();
            if (listed.isEmpty()) return Optional.empty();
            names = listed.get();
        } catch (IOException | URISyntaxException | RuntimeException e) { // no readable code source: Flyway finds them
            return Optional.empty();
        }
        List<Bundled> files = new ArrayList<>();
        for (String name : names) {
            Matcher versioned = VERSIONED.matcher(name);
            if (!versioned.matches()) return Optional.empty();
            String version = versioned.group(1).replace('_', '.');
            List<BigInteger> parts = Stream.of(version.split("\\.")).map(BigInteger::new).toList();
            SchemaMigrations.Migration migration = new SchemaMigrations.Migration(version, versioned.group(2).replace('_', ' '), name);
            Optional<Integer> checksum = checksumOf(name);
            if (checksum.isEmpty()) return Optional.empty();
            files.add(new Bundled(migration, parts, checksum.get()));
        }
        if (files.isEmpty()) return Optional.empty();
        files.sort(Comparator.comparing(Bundled::versionParts, SchemaHistory::compareVersions));
        for (int i = 1; i < files.size(); i++) {
            if (compareVersions(files.get(i - 1).versionParts(), files.get(i).versionParts()) == 0) return Optional.empty(); // Flyway refuses the pair
        }
        return Optional.of(files);
    }

    /** Flyway's CRC32 of a migration: each line without its line ending or a byte order mark, as UTF-8. */
    static Optional<Integer> checksumOf(String name) {
        try (InputStream in = SchemaHistory.class.getResourceAsStream("/migrations/" + name)) {
            if (in == null) return Optional.empty();
            BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 4096);
            CRC32 crc = new CRC32();
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                crc.update((line.startsWith("\uFEFF") ? line.substring(1) : line).getBytes(StandardCharsets.UTF_8));
            }
            return Optional.of((int) crc.getValue());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Versions as Flyway orders them: part by part, a missing part counting as 0 (1 = 1.0). */
    private static int compareVersions(List<BigInteger> a, List<BigInteger> b) {
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            int order = (i < a.size() ? a.get(i) : BigInteger.ZERO).compareTo(i < b.size() ? b.get(i) : BigInteger.ZERO);
            if (order != 0) return order;
        }
        return 0;
    }

    /**
     * The .sql files under migrations/ beside this class (the script's jar, or the classes folder of the tests), by name;
     * one in a subfolder (Flyway would run it too) makes the list unusable: empty.
     */
    private static Optional<List<String>> bundledNames() throws IOException, URISyntaxException {
        Path from = Path.of(SchemaHistory.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> paths = new ArrayList<>();
        if (Files.isDirectory(from)) {
            Path folder = from.resolve("migrations");
            if (!Files.isDirectory(folder)) return Optional.of(List.of());
            try (Stream<Path> files = Files.walk(folder)) {
                files.filter(Files::isRegularFile).forEach(file -> paths.add(folder.relativize(file).toString().replace('\\', '/')));
            }
        } else {
            try (JarFile jar = new JarFile(from.toFile())) {
                jar.stream().map(JarEntry::getName).filter(name -> name.startsWith("migrations/") && !name.endsWith("/"))
                    .forEach(name -> paths.add(name.substring("migrations/".length())));
            }
        }
        List<String> names = paths.stream().filter(name -> name.endsWith(".sql")).toList();
        return names.stream().anyMatch(name -> name.contains("/")) ? Optional.empty() : Optional.of(names);
    }
}
