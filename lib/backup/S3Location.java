import java.net.URI;
import java.util.Optional;

/**
 * Where remote backups live: s3://bucket/prefix, and how to reach the store (endpoint for S3-compatible
 * stores, region, path-style addressing). Credentials are never part of it: they come from the AWS chain.
 */
public record S3Location(String bucket, String prefix, Optional<URI> endpoint, Optional<String> region, boolean pathStyle) {

    public static boolean isS3(String where) { return where != null && where.startsWith("s3://"); }

    /** s3://bucket[/prefix]; a URL carrying credentials is refused without echoing them. */
    public static S3Location parse(String url, String endpoint, String region, Boolean pathStyle) {
        String rest = url.substring("s3://".length());
        if (rest.contains("@")) {
            throw new OxyError(ExitCode.USAGE, "an s3:// location must not carry credentials",
                "Give them as AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile (AWS_PROFILE) or an instance role.");
        }
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : rest.substring(slash + 1).replaceAll("/+$", "");
        if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw new OxyError(ExitCode.USAGE, "'" + bucket + "' is not an S3 bucket name", "For example s3://my-backups/oxy.");
        }
        Optional<URI> endpointUri = Optional.ofNullable(endpoint).filter(e -> !e.isBlank()).map(S3Location::endpointUri);
        // S3-compatible stores (MinIO, S3Proxy, Ceph) mostly want path-style; AWS itself wants virtual-hosted
        boolean path = pathStyle != null ? pathStyle : endpointUri.isPresent();
        return new S3Location(bucket, prefix, endpointUri, Optional.ofNullable(region).filter(r -> !r.isBlank()), path);
    }

    private static URI endpointUri(String endpoint) {
        try {
            URI uri = URI.create(endpoint);
            if (uri.getScheme() == null || uri.getHost() == null || uri.getUserInfo() != null) throw new IllegalArgumentException();
            return uri;
        } catch (IllegalArgumentException e) {
            throw new OxyError(ExitCode.USAGE, "--s3-endpoint must be a URL like https://s3.example.com (without credentials)", null);
        }
    }

    /** The object key of a file of ours under the prefix. */
    public String key(String fileName) { return prefix.isEmpty() ? fileName : prefix + "/" + fileName; }

    /** The listing prefix: our files only start with it. */
    public String keyPrefix() { return prefix.isEmpty() ? "" : prefix + "/"; }

    /** s3://bucket/prefix, for messages (never a secret in it). */
    @Override
    public String toString() { return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix); }
}
