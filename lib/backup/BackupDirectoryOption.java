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
        if (entries.isEmpty()) {
            console.info("No backups in " + backups.directory() + ". Make one: ./jbang oxy backup");
            return;
        }
        console.plain(String.format("%-26s %-10s %-10s %-10s %-8s %s", "NAME", "AGE", "SIZE", "VERIFIED", "SERVER", "FORMAT"));
        for (BackupStore.Entry entry : entries) {
            BackupManifest m = entry.manifest();
            console.plain(String.format("%-26s %-10s %-10s %-10s %-8s %s", m.name(), age(m.finishedAt()),
                entry.present() ? Console.humanBytes(m.bytes()) : "missing", m.verification(), m.serverVersion(),
                m.format() + (m.format().equals("directory") ? "" : ", " + m.compression())));
        }
        console.plain("in " + backups.directory());
    }

    static String age(Instant then) {
        long seconds = Duration.between(then, Instant.now()).toSeconds();
        if (seconds < 120) return seconds + "s";
        if (seconds < 2 * 3600) return seconds / 60 + "m";
        if (seconds < 2 * 86400) return seconds / 3600 + "h";
        return seconds / 86400 + "d";
    }
}
