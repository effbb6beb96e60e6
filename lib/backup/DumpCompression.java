import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * --compress: how pg_dump compresses a backup (auto, gzip[:LEVEL], zstd[:LEVEL], none). auto becomes zstd or
 * gzip once the pg_dump that runs is known; the manifest records the concrete one ("zstd", "gzip:9").
 */
public record DumpCompression(Method method, Integer level) {
    public enum Method { AUTO, GZIP, ZSTD, NONE }

    public static final DumpCompression AUTO = new DumpCompression(Method.AUTO, null);
    public static final DumpCompression GZIP = new DumpCompression(Method.GZIP, null);

    private static final Pattern FORM = Pattern.compile("(gzip|zstd)(?::(\\d{1,2}))?|none|auto");

    /** The option's text; a bad one is a usage error naming the accepted forms. */
    public static DumpCompression parse(String text) {
        Matcher form = FORM.matcher(text.strip().toLowerCase(java.util.Locale.ROOT));
        if (!form.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not auto, gzip[:LEVEL], zstd[:LEVEL] or none (for example zstd:3)");
        }
        Method method = Method.valueOf((form.group(1) != null ? form.group(1) : form.group()).toUpperCase(java.util.Locale.ROOT));
        Integer level = form.group(2) == null ? null : Integer.valueOf(form.group(2));
        int maxLevel = method == Method.GZIP ? 9 : 22;
        if (level != null && (level < 1 || level > maxLevel)) {
            throw new IllegalArgumentException("'" + text + "': the level must be 1 to " + maxLevel + " for " + method.name().toLowerCase(java.util.Locale.ROOT));
        }
        return new DumpCompression(method, level);
    }

    /** picocli's converter: a bad value is exit 2 with parse()'s words. */
    public static final class Converter implements CommandLine.ITypeConverter<DumpCompression> {
        @Override
        public DumpCompression convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /**
     * auto made concrete for these tools: zstd where pg_dump has it (16+) for archives, since it compresses and
     * decompresses several times faster than gzip and smaller; gzip for plain SQL (users pipe it through gunzip)
     * and for older pg_dump. zstd frames carry no checksum: the manifest's sha256 is what guards them.
     */
    public DumpCompression forTools(BackupArchive.Format format, int toolMajor) {
        if (method != Method.AUTO) return this;
        return format != BackupArchive.Format.PLAIN && toolMajor >= 16 ? new DumpCompression(Method.ZSTD, null) : GZIP;
    }

    /** pg_dump's --compress for this major: 16+ takes "gzip:6", "zstd:3", "none"; older ones only gzip levels. */
    List<String> pgDumpArguments(BackupArchive.Format format, int toolMajor) {
        if (toolMajor >= 16) return List.of("--compress=" + this);
        if (method == Method.NONE) return List.of("--compress=0");
        if (level != null) return List.of("--compress=" + level);
        return format == BackupArchive.Format.PLAIN ? List.of("--compress=6") : List.of(); // -Fc compresses with gzip by default
    }

    /** What a plain SQL backup's name ends with after .sql. */
    String plainSuffix() {
        return switch (method) {
            case ZSTD -> ".zst";
            case NONE -> "";
            case GZIP, AUTO -> ".gz"; // auto is gzip for plain SQL
        };
    }

    /** "auto", "gzip", "zstd:3", "none": pg_dump 16's spelling, as manifests record it. */
    @Override
    public String toString() {
        return method.name().toLowerCase(java.util.Locale.ROOT) + (level != null ? ":" + level : "");
    }
}
