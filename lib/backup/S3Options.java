import picocli.CommandLine.Option;

/** How to reach an S3-compatible store; credentials never: they come from the AWS chain (AWS_*, profiles, instance roles). */
public class S3Options {
    @Option(names = "--s3-endpoint", defaultValue = "${env:AWS_ENDPOINT_URL_S3:-${env:AWS_ENDPOINT_URL}}", paramLabel = "URL",
        description = "An S3-compatible store (MinIO, R2, B2, Ceph, GCS): its URL (env AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL; default AWS S3).")
    String endpoint;

    @Option(names = "--s3-region", paramLabel = "REGION", description = "The bucket's region (default: AWS_REGION or the profile's; us-east-1 with --s3-endpoint).")
    String region;

    @Option(names = "--s3-path-style", arity = "0..1", paramLabel = "true|false",
        description = "Path-style URLs (default: true with --s3-endpoint, false for AWS).")
    Boolean pathStyle;

    public S3Location location(String url) { return S3Location.parse(url, endpoint, region, pathStyle); }

    /** The location as the environment alone describes it (status, which has no S3 flags). */
    public static S3Location fromEnvironment(String url) {
        String endpoint = System.getenv("AWS_ENDPOINT_URL_S3");
        return S3Location.parse(url, endpoint != null && !endpoint.isBlank() ? endpoint : System.getenv("AWS_ENDPOINT_URL"), null, null);
    }
}
