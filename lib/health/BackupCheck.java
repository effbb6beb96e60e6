import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** The newest backup of the database and its verification, from the same place status reads it (the backup directory or OXY_BACKUP_TO). */
final class BackupCheck {
    private BackupCheck() {}

    static Check check(RuntimeOptions options, String database, Thresholds thresholds) {
        String remote = BackupLocationOption.chosen(null);
        List<BackupManifest> newestFirst;
        String where;
        try {
            if (S3Location.isS3(remote)) {
                where = remote;
                try (S3Backups store = S3Backups.connect(S3Options.fromEnvironment(remote))) {
                    newestFirst = store.list().stream().filter(S3Backups.Entry::present).map(S3Backups.Entry::manifest).toList();
                }
            } else {
                BackupStore store = BackupStore.at(BackupStore.defaultDirectory(null, options));
                where = store.directory().toString();
                if (!java.nio.file.Files.isDirectory(store.directory())) {
                    return Check.unknown(Check.Kind.BACKUP, "no backup directory at " + where + " (backups made elsewhere are not seen; OXY_BACKUP_DIR names another)");
                }
                newestFirst = store.list().stream().filter(BackupStore.Entry::present).map(BackupStore.Entry::manifest).toList();
            }
        } catch (OxyError unreadable) {
            return Check.unknown(Check.Kind.BACKUP, unreadable.getMessage());
        }
        List<BackupManifest> ours = newestFirst.stream().filter(m -> database.equals(m.database())).toList();
        if (ours.isEmpty()) {
            return Check.of(Check.Kind.BACKUP, Check.Level.WARN, "no backup of " + database + " in " + where, "Make one (and schedule it): ./jbang oxy backup", List.of());
        }
        BackupManifest newest = ours.get(0);
        Duration age = Duration.between(newest.finishedAt(), Instant.now());
        String figure = newest.name() + ", " + HealthQueries.duration(age.toSeconds()) + " old, " + Console.humanBytes(newest.bytes()) + ", verified ("
            + newest.verification() + "); " + ours.size() + " in " + where;
        Check.Level level = age.compareTo(thresholds.backupMaxAge()) > 0 ? Check.Level.WARN : Check.Level.OK;
        return Check.of(Check.Kind.BACKUP, level, figure + (level == Check.Level.OK ? "" : "; older than " + HealthQueries.duration(thresholds.backupMaxAge().toSeconds())),
            "Is the nightly backup running? ./jbang oxy backup (see its --metrics-file for a monitor)", List.of());
    }
}
