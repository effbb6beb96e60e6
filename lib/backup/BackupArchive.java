import com.github.luben.zstd.ZstdInputStream;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.postgresql.PGConnection;

/**
 * A dump to restore or check: one of our backups (with its manifest) or a runbook's own file
 * (pg_dump -Fc, a directory dump, or plain SQL as .sql, .sql.gz or .sql.zst). Knows how to prove it is
 * readable to the end and how to load it into a database, stopping at the first error.
 */
public record BackupArchive(Path path, Format format, Compression compression, Optional<BackupManifest> manifest) {

    public enum Format { CUSTOM, DIRECTORY, PLAIN }

    public enum Compression { NONE, GZIP, ZSTD }

    /** pg_dump writes this as its last comment; a plain dump without it was cut short. */
    static final String COMPLETION_MARKER = "-- PostgreSQL database dump complete";

    public String name() {
        return manifest.map(BackupManifest::name).orElse(path.getFileName().toString());
    }

    /** A backup by name, "latest", or any dump file or directory; its manifest when one lies beside it. */
    public static BackupArchive resolve(String what, BackupStore store) {
        if (what.equals("latest")) {
            BackupStore.Entry newest = store.newest().orElseThrow(() -> new OxyError(ExitCode.USAGE,
                "there is no backup in " + store.directory(), "Make one with './jbang oxy backup', or name a dump file."));
            return open(newest.data(), Optional.of(newest.manifest()));
        }
        Optional<BackupStore.Entry> named = store.find(what);
        if (named.isPresent()) {
            if (!named.get().present()) {
                throw new OxyError(ExitCode.USAGE, "backup " + what + " has a manifest but its data " + named.get().data() + " is gone",
                    "Pick another: './jbang oxy backup list'.");
            }
            return open(named.get().data(), Optional.of(named.get().manifest()));
        }
        Path path = Path.of(what).toAbsolutePath();
        if (!Files.exists(path)) {
            throw new OxyError(ExitCode.USAGE, "no backup named '" + what + "' in " + store.directory() + " and no such file",
                "List backups with './jbang oxy restore' (no argument), or give the path of a dump file.");
        }
        return open(path, manifestBeside(path));
    }

    private static Optional<BackupManifest> manifestBeside(Path path) {
        String fileName = path.getFileName().toString();
        String name = fileName.replaceFirst("(\\.dump|\\.sql\\.gz|\\.sql\\.zst|\\.sql)$", "");
        Path manifest = BackupManifest.pathFor(path.getParent(), name);
        if (!Files.exists(manifest)) return Optional.empty();
        BackupManifest read = BackupManifest.read(manifest);
        return read.file().equals(fileName) ? Optional.of(read) : Optional.empty();
    }

    /** Detects the format from the bytes, not the name. */
    public static BackupArchive open(Path path, Optional<BackupManifest> manifest) {
        if (Files.isDirectory(path)) {
            if (Files.exists(path.resolve("toc.dat"))) return new BackupArchive(path, Format.DIRECTORY, Compression.NONE, manifest);
            throw notADump(path, "a directory without toc.dat");
        }
        byte[] head = new byte[4096];
        int length;
        try (InputStream in = Files.newInputStream(path)) {
            length = in.readNBytes(head, 0, head.length);
        } catch (IOException e) {
            throw new OxyError(ExitCode.USAGE, "cannot read " + path + " (" + e.getMessage() + ")", "Check the path and its permissions.", e);
        }
        if (length >= 5 && new String(head, 0, 5, StandardCharsets.US_ASCII).equals("PGDMP")) {
            return new BackupArchive(path, Format.CUSTOM, Compression.NONE, manifest);
        }
        if (length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
            return new BackupArchive(path, Format.PLAIN, Compression.GZIP, manifest);
        }
        if (length >= 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5 && (head[2] & 0xff) == 0x2f && (head[3] & 0xff) == 0xfd) {
            return new BackupArchive(path, Format.PLAIN, Compression.ZSTD, manifest);
        }
        String text = new String(head, 0, Math.max(length, 0), StandardCharsets.UTF_8);
        if (text.contains("PostgreSQL database dump")) return new BackupArchive(path, Format.PLAIN, Compression.NONE, manifest);
        throw notADump(path, length == 0 ? "an empty file" : "neither a pg_dump archive nor plain SQL from pg_dump");
    }

    private static OxyError notADump(Path path, String what) {
        return new OxyError(ExitCode.VERIFICATION_FAILED, path + " is " + what,
            "Restore takes our backups, pg_dump -Fc files, directory dumps, and plain pg_dump SQL (.sql, .sql.gz, .sql.zst).");
    }

    public String describeFormat() {
        return switch (format) {
            case CUSTOM -> "pg_dump custom archive";
            case DIRECTORY -> "pg_dump directory archive";
            case PLAIN -> "plain SQL" + (compression == Compression.NONE ? "" : ", " + compression.name().toLowerCase());
        };
    }

    // --- checks ---

    /** The data's sha256 against the manifest's; our backups only. */
    public void checkChecksum() {
        if (manifest.isEmpty()) return;
        try {
            String actual = BackupStore.sha256(path);
            if (!actual.equals(manifest.get().sha256())) {
                throw new OxyError(ExitCode.VERIFICATION_FAILED, "backup " + name() + " does not match its manifest (sha256 "
                    + actual.substring(0, 12) + "..., expected " + manifest.get().sha256().substring(0, 12) + "...)",
                    "The file changed after it was made: it is damaged. Use another backup.");
            }
        } catch (IOException e) {
            throw new OxyError(ExitCode.VERIFICATION_FAILED, "cannot read " + path + " (" + e.getMessage() + ")", null, e);
        }
    }

    /** Reads the whole archive: pg_restore to nowhere for archives, decompression and the completion marker for SQL. */
    public void checkReadable(PostgresTools tools) {
        if (format == Format.PLAIN) {
            checkPlainReadable();
            return;
        }
        Processes.Result result = tools.run("pg_restore", List.of("--file=/dev/null", path.toString()), null);
        if (!result.ok()) {
            throw new OxyError(ExitCode.VERIFICATION_FAILED, name() + " is damaged or incomplete: " + String.join(" ", result.tail(1)),
                "Do not rely on it; use another backup.");
        }
    }

    private void checkPlainReadable() {
        byte[] buffer = new byte[1 << 16];
        byte[] tail = new byte[0];
        try (InputStream in = decompressed()) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                tail = lastBytes(tail, buffer, n, 512);
            }
        } catch (IOException e) {
            throw new OxyError(ExitCode.VERIFICATION_FAILED, name() + " is damaged or incomplete (" + describeFormat() + ": " + e.getMessage() + ")",
                "Do not rely on it; use another backup.", e);
        }
        if (!new String(tail, StandardCharsets.UTF_8).contains(COMPLETION_MARKER)) {
            throw new OxyError(ExitCode.VERIFICATION_FAILED, name() + " is incomplete: it does not end with pg_dump's '" + COMPLETION_MARKER.substring(3) + "'",
                "The dump was cut short (pg_dump failed or the disk filled); use another backup.");
        }
    }

    private static byte[] lastBytes(byte[] previous, byte[] buffer, int length, int keep) {
        byte[] joined = new byte[previous.length + length];
        System.arraycopy(previous, 0, joined, 0, previous.length);
        System.arraycopy(buffer, 0, joined, previous.length, length);
        return joined.length <= keep ? joined : java.util.Arrays.copyOfRange(joined, joined.length - keep, joined.length);
    }

    private InputStream decompressed() throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(path), 1 << 16);
        return switch (compression) {
            case GZIP -> new GZIPInputStream(raw, 1 << 16);
            case ZSTD -> new BufferedInputStream(new ZstdInputStream(raw), 1 << 16);
            case NONE -> raw;
        };
    }

    // --- loading ---

    /**
     * Loads the archive into target, stopping at the first error. inOneTransaction: all or nothing, and
     * the database's current objects are dropped first in the same transaction (restore --in-place).
     * Otherwise the schema goes first, alone and in one transaction (PreDataSection), so what the target
     * rejects stops the restore before any data moves; then the data, indexes and constraints with --jobs.
     * Returns the column options the target does not know and that were left out (option -> columns).
     */
    public Map<String, Integer> restoreInto(PostgresTools tools, PostgresUrl target, int jobs, boolean inOneTransaction, boolean noOwner) {
        if (format == Format.PLAIN) return runPlainSql(target, inOneTransaction);
        List<String> arguments = new ArrayList<>(List.of("--dbname=" + target.database(), "--exit-on-error", "--no-password"));
        if (noOwner) arguments.addAll(List.of("--no-owner", "--no-privileges"));
        Map<String, Integer> leftOut = Map.of();
        if (inOneTransaction) {
            arguments.addAll(List.of("--single-transaction", "--clean", "--if-exists"));
        } else {
            leftOut = PreDataSection.ofArchive(this, tools, noOwner).load(target);
            arguments.addAll(List.of("--section=data", "--section=post-data"));
            if (jobs > 1) arguments.add("--jobs=" + jobs);
        }
        arguments.add(path.toString());
        Processes.Result result = tools.run("pg_restore", arguments, target);
        if (!result.ok()) throw restoreFailed(result);
        return leftOut;
    }

    /** pg_restore's own words: the server's ERROR and the command it was running, not only the last line. */
    static OxyError restoreFailed(Processes.Result result) {
        List<String> lines = result.output().lines().toList();
        String serverSaid = lines.stream().filter(l -> l.contains("ERROR:")).findFirst()
            .map(l -> l.substring(l.indexOf("ERROR:") + 6).trim()).orElse(null);
        String command = lines.stream().filter(l -> l.startsWith("Command was:")).findFirst()
            .map(l -> l.substring("Command was:".length()).trim()).orElse(null);
        String problem = serverSaid == null ? String.join(" ", result.tail(1))
            : serverSaid + (command == null ? "" : " (in: " + (command.length() > 160 ? command.substring(0, 157) + "..." : command) + ")");
        return new OxyError(ExitCode.FAILED, "pg_restore stopped at an error: " + problem, null, result.tail(6), null);
    }

    /**
     * Plain SQL through JDBC in one transaction: the statements between COPY blocks go to the server as
     * they are (pgjdbc splits them, dollar quotes included), COPY data streams through the COPY protocol.
     * psql would need the file inside its container; this needs nothing but the connection.
     */
    private Map<String, Integer> runPlainSql(PostgresUrl target, boolean dropCurrentObjects) {
        PreDataSection.ColumnOptionFilter columnOptions = new PreDataSection.ColumnOptionFilter();
        try (Connection connection = target.connect();
             BufferedInputStream in = new BufferedInputStream(decompressed(), 1 << 16)) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                if (dropCurrentObjects) statement.execute(DROP_APP_OBJECTS);
                PlainSqlReader reader = new PlainSqlReader(in);
                StringBuilder sql = new StringBuilder();
                boolean complete = false;
                for (String line; (line = reader.line()) != null; ) {
                    if (line.startsWith(COMPLETION_MARKER)) complete = true;
                    if (line.startsWith("COPY ") && line.endsWith(" FROM stdin;")) {
                        execute(statement, sql);
                        connection.unwrap(PGConnection.class).getCopyAPI().copyIn(line, reader.copyData());
                    } else if (line.startsWith("\\")) {
                        checkMetaCommand(line);
                    } else if (line.endsWith(";") && PreDataSection.ColumnOptionFilter.isColumnOptions(line)) {
                        execute(statement, sql); // pg_dump writes each on a line of its own
                        columnOptions.execute(connection, statement, line);
                    } else if (!line.startsWith("SET client_encoding")) { // the driver's encoding is UTF8 and must stay so
                        sql.append(line).append('\n');
                        if (sql.length() > 16 << 20 && line.endsWith(";")) execute(statement, sql); // INSERT-style dumps
                    }
                }
                execute(statement, sql);
                if (!complete) {
                    throw new OxyError(ExitCode.VERIFICATION_FAILED, name() + " ends before pg_dump's completion marker; nothing was committed",
                        "The dump was cut short; use another backup.");
                }
            }
            connection.commit();
            return columnOptions.leftOut();
        } catch (SQLException e) {
            throw new OxyError(ExitCode.FAILED, "the SQL dump stopped at an error: " + Cli.describe(e).lines().findFirst().orElse(""),
                "Nothing of it was kept.", e);
        } catch (IOException e) {
            throw new OxyError(ExitCode.VERIFICATION_FAILED, name() + " could not be read to the end (" + e.getMessage() + "); nothing was committed",
                "Use another backup.", e);
        }
    }

    /** In-place restore of plain SQL: the app's schema goes first, inside the restore's own transaction. */
    private static final String DROP_APP_OBJECTS = "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;";

    private static void execute(Statement statement, StringBuilder sql) throws SQLException {
        if (sql.toString().isBlank()) {
            sql.setLength(0);
            return;
        }
        statement.execute(sql.toString());
        sql.setLength(0);
    }

    /** pg_dump's own psql lines (restrict and unrestrict, PostgreSQL 17.6+) are safe to skip; anything else needs psql itself. */
    private static void checkMetaCommand(String line) {
        if (line.startsWith("\\restrict ") || line.startsWith("\\unrestrict ")) return;
        throw new OxyError(ExitCode.USAGE, "the SQL file uses the psql command " + line.split(" ")[0] + ", which only psql runs",
            "Restore it with psql -v ON_ERROR_STOP=1, or make the dump with pg_dump (without --create).");
    }

    /** Lines of a plain dump as bytes, so COPY data passes through untouched. */
    private static final class PlainSqlReader {
        private final BufferedInputStream in;

        PlainSqlReader(BufferedInputStream in) { this.in = in; }

        String line() throws IOException {
            byte[] bytes = rawLine();
            if (bytes == null) return null;
            int end = bytes.length;
            while (end > 0 && (bytes[end - 1] == '\n' || bytes[end - 1] == '\r')) end--;
            return new String(bytes, 0, end, StandardCharsets.UTF_8);
        }

        private byte[] rawLine() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream(256);
            for (int b; (b = in.read()) >= 0; ) {
                line.write(b);
                if (b == '\n') break;
            }
            return line.size() == 0 ? null : line.toByteArray();
        }

        /** The COPY data lines up to (not including) the "\." line. */
        InputStream copyData() {
            return new InputStream() {
                private byte[] current = new byte[0];
                private int position;
                private boolean finished;

                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] buffer, int offset, int length) throws IOException {
                    while (position >= current.length) {
                        if (finished) return -1;
                        byte[] next = rawLine();
                        if (next == null) throw new IOException("the dump ends inside a COPY block");
                        if (next.length >= 2 && next[0] == '\\' && next[1] == '.' && (next.length == 2 || next[2] == '\n' || next[2] == '\r')) {
                            finished = true;
                            return -1;
                        }
                        current = next;
                        position = 0;
                    }
                    int n = Math.min(length, current.length - position);
                    System.arraycopy(current, position, buffer, offset, n);
                    position += n;
                    return n;
                }
            };
        }
    }
}
