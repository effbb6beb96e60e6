import java.time.Duration;

/** Where doctor's checks turn from OK to WARN (and CRIT): its options, each with the default the README gives. */
public record Thresholds(
    Duration longQuery,
    Duration lockWait,
    double connectionsWarnPercent,
    double connectionsCriticalPercent,
    double wraparoundWarnPercent,
    double wraparoundCriticalPercent,
    double deadTuplesWarnPercent,
    double bloatWarnPercent,
    long bloatMinimumBytes,
    long unusedIndexMinimumBytes,
    double cacheHitWarnPercent,
    long slotWalCriticalBytes,
    double diskFreeWarnPercent,
    double diskFreeCriticalPercent,
    Duration backupMaxAge) {

    /** XIDs before wraparound: 2^31, of which PostgreSQL stops assigning 3 million short (wraparound protection). */
    public static final long WRAPAROUND_HORIZON = 2_147_483_648L;

    public static Thresholds defaults() {
        return new Thresholds(Duration.ofMinutes(1), Duration.ofSeconds(10), 80, 95, 50, 75, 20, 50, 10L << 20, 1L << 20, 95,
            10L << 30, 20, 10, Duration.ofHours(26));
    }

    /** "90s", "5m", "1h", "500ms" or a number of seconds: for --long-query and the like. */
    public static Duration parseDuration(String text) {
        java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h|d)?").matcher(text.strip());
        if (!matcher.matches()) throw new IllegalArgumentException("'" + text + "' is not a duration such as 90s, 5m, 1h or 500ms");
        long amount = Long.parseLong(matcher.group(1));
        String unit = matcher.group(2) == null ? "s" : matcher.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            case "d" -> Duration.ofDays(amount);
            default -> Duration.ofSeconds(amount);
        };
    }

    /** "1GB", "500MB", "10kB" or bytes: for size thresholds. */
    public static long parseBytes(String text) {
        java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("(\\d+)\\s*(B|kB|KB|MB|GB|TB)?").matcher(text.strip());
        if (!matcher.matches()) throw new IllegalArgumentException("'" + text + "' is not a size such as 500MB or 10GB");
        long amount = Long.parseLong(matcher.group(1));
        String unit = matcher.group(2) == null ? "B" : matcher.group(2).toUpperCase(java.util.Locale.ROOT);
        return switch (unit) {
            case "KB" -> amount << 10;
            case "MB" -> amount << 20;
            case "GB" -> amount << 30;
            case "TB" -> amount << 40;
            default -> amount;
        };
    }
}
