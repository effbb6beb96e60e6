import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import picocli.CommandLine.Option;

/** Where backups live (--dir, env OXY_BACKUP_DIR, default $OXY_STATE_DIR/backups), and how they are listed. */
public class BackupDirectoryOption {
    @Option(names = "--dir", paramLabel = "DIR",
        description = "Backup directory (env OXY_BACKUP_DIR; default $OXY_STATE_DIR/backups, i.e. ~/.local/share/oxy/backups).")
    Path dir;

    public Path directory(RuntimeOptions runtime) { return BackupStore.defaultDirectory(dir, runtime); }

    /** The table 'backup list' prints and 'restore' shows as what can be restored. */
    public static void printTable(Console console, BackupStore backups, List<BackupStore.Entry> entries) {
        printRows(console, backups.directory().toString(), entries.stream().map(e -> new Row(e.manifest(), e.present())).toList());
    }

    /** The same table for a remote prefix. */
    public static void printTable(Console console, S3Backups backups, List<S3Backups.Entry> entries) {
        printRows(console, backups.location().toString(), entries.stream().map(e -> new Row(e.manifest(), e.present())).toList());
    }

    private record Row(BackupManifest manifest, boolean present) {}

    private static void printRows(Console console, String where, List<Row> rows) {
        if (rows.isEmpty()) {
            console.info("No backups in " + where + ". Make one: ./jbang oxy backup" + (S3Location.isS3(where) ? " --to " + where : ""));
            return;
        }
        console.plain(String.format("%-26s %-10s %-10s %-10s %-8s %s", "NAME", "AGE", "SIZE", "VERIFIED", "SERVER", "FORMAT"));
        for (Row row : rows) {
            BackupManifest m = row.manifest();
            console.plain(String.format("%-26s %-10s %-10s %-10s %-8s %s", m.name(), age(m.finishedAt()),
                row.present() ? Console.humanBytes(m.bytes()) : "missing", m.verification(), m.serverVersion(),
                m.format() + (m.format().equals("directory") ? "" : ", " + m.compression()) + (m.encrypted() ? ", age" : "")));
        }
        console.plain("in " + where);
    }

    static String age(Instant then) {
        long seconds = Duration.between(then, Instant.now()).toSeconds();
        if (seconds < 120) return seconds + "s";
        if (seconds < 2 * 3600) return seconds / 60 + "m";
        if (seconds < 2 * 86400) return seconds / 3600 + "h";
        return seconds / 86400 + "d";
    }
}
