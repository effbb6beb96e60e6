import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Where backups live: a directory (as before) or s3://bucket/prefix (env OXY_BACKUP_TO), and how to reach the store. */
public class BackupLocationOption {
    /** The environment variable naming the backup location, for cron and the app's own environment. */
    public static final String VARIABLE = "OXY_BACKUP_TO";

    @Option(names = {"--to", "--dir"}, paramLabel = "DIR|s3://BUCKET/PREFIX",
        description = "Where backups live: a directory, or s3://bucket/prefix (env OXY_BACKUP_TO, or OXY_BACKUP_DIR; default $OXY_STATE_DIR/backups).")
    String where;

    @Mixin S3Options s3;

    /** --to, else OXY_BACKUP_TO; null means the local default directory. */
    public String where() { return chosen(where); }

    public boolean isRemote() { return S3Location.isS3(where()); }

    public S3Location remote() { return s3.location(where()); }

    /** The local directory: the one given, or the default (also where remote runs keep their lock). */
    public Path directory(RuntimeOptions runtime) {
        return BackupStore.defaultDirectory(isRemote() || where() == null ? null : Path.of(where()), runtime);
    }

    static String chosen(String given) {
        if (given != null && !given.isBlank()) return given;
        String fromEnvironment = System.getenv(VARIABLE);
        return fromEnvironment == null || fromEnvironment.isBlank() ? null : fromEnvironment;
    }
}
