import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Backups in an S3 prefix, laid out like the backup directory: NAME.dump (or .dump.age) and, uploaded
 * last, NAME.manifest.json. A backup exists only when its manifest does. Every object we write carries the
 * metadata oxy-ops=VERSION, so leftovers of ours can be told from anything else under the prefix.
 */
public final class S3Backups implements AutoCloseable {
    /** Object metadata (x-amz-meta-oxy-ops) on everything we upload. */
    static final String OURS = "oxy-ops";
    /** Names our data objects have: oxy_YYYYmmdd_HHMMSS[_N].ext */
    private static final Pattern OUR_DATA = Pattern.compile(BackupManifest.NAME.pattern() + "\\.[a-z.]+");

    /** A remote backup: its manifest, and whether its data object is there. */
    public record Entry(BackupManifest manifest, boolean present) {
        public String name() { return manifest.name(); }
    }

    private final S3Location location;
    private final S3Client s3;

    private S3Backups(S3Location location, S3Client s3) {
        this.location = location;
        this.s3 = s3;
    }

    public S3Location location() { return location; }

    /** A client for the location, and a first request to the bucket, so a wrong store, key or bucket fails here in one line. */
    public static S3Backups connect(S3Location location) {
        S3ClientBuilder builder = S3Client.builder()
            // S3-compatible stores do not all know the newer default checksums; sha256 of our own covers the data
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .forcePathStyle(location.pathStyle())
            .region(region(location));
        location.endpoint().ifPresent(builder::endpointOverride);
        S3Backups backups = new S3Backups(location, builder.build());
        try {
            backups.s3.headBucket(request -> request.bucket(location.bucket()));
        } catch (SdkException e) {
            backups.close();
            throw backups.failure("cannot reach", e);
        }
        return backups;
    }

    /** --s3-region, else the AWS chain (AWS_REGION, the profile); an S3-compatible store without one gets us-east-1. */
    private static Region region(S3Location location) {
        if (location.region().isPresent()) return Region.of(location.region().get());
        try {
            return DefaultAwsRegionProviderChain.builder().build().getRegion();
        } catch (SdkClientException none) {
            if (location.endpoint().isPresent()) return Region.US_EAST_1;
            throw new OxyError(ExitCode.USAGE, "no AWS region for " + location, "Set AWS_REGION, a region in your AWS profile, or --s3-region.");
        }
    }

    // --- listing ---

    /** Our backups under the prefix, newest first; manifests that cannot be read are skipped (reported when asked for by name). */
    public List<Entry> list() {
        Set<String> keys = new HashSet<>();
        List<String> manifests = new ArrayList<>();
        for (S3Object object : objects()) {
            keys.add(object.key());
            if (fileName(object.key()).endsWith(BackupManifest.SUFFIX) && fileName(object.key()).startsWith(BackupStore.PREFIX)) manifests.add(object.key());
        }
        List<Entry> entries = new ArrayList<>();
        for (String key : manifests) {
            readManifest(key, false).ifPresent(manifest -> entries.add(new Entry(manifest, keys.contains(location.key(manifest.file())))));
        }
        entries.sort(Comparator.comparing((Entry e) -> e.manifest().startedAt()).reversed());
        return entries;
    }

    public Optional<Entry> newest() {
        return list().stream().filter(Entry::present).findFirst();
    }

    /** The backup of that name; a manifest that is there but unreadable is a damaged backup (exit 9), not a missing one. */
    public Optional<Entry> find(String name) {
        Optional<Entry> found = list().stream().filter(e -> e.name().equals(name)).findFirst();
        if (found.isEmpty() && name.startsWith(BackupStore.PREFIX)) readManifest(location.key(name + BackupManifest.SUFFIX), true);
        return found;
    }

    /** Whether any object is named NAME.something (one short listing, not every manifest). */
    boolean nameTaken(String name) {
        try {
            return s3.listObjectsV2(request -> request.bucket(location.bucket()).prefix(location.key(name + ".")).maxKeys(1)).keyCount() > 0;
        } catch (SdkException e) {
            throw failure("cannot list", e);
        }
    }

    /** Objects directly under the prefix (not deeper: another prefix's backups are not ours to list). */
    private List<S3Object> objects() {
        try {
            List<S3Object> found = new ArrayList<>();
            for (S3Object object : s3.listObjectsV2Paginator(request -> request.bucket(location.bucket()).prefix(location.keyPrefix())).contents()) {
                if (object.key().indexOf('/', location.keyPrefix().length()) < 0) found.add(object);
            }
            return found;
        } catch (SdkException e) {
            throw failure("cannot list", e);
        }
    }

    private Optional<BackupManifest> readManifest(String key, boolean strict) {
        try {
            byte[] json = s3.getObjectAsBytes(request -> request.bucket(location.bucket()).key(key)).asByteArray();
            return strict ? Optional.of(BackupManifest.read(json, fileName(key), "s3://" + location.bucket() + "/" + key))
                : BackupManifest.readIfParsable(json, fileName(key));
        } catch (NoSuchKeyException gone) {
            return Optional.empty(); // removed between listing and reading
        } catch (SdkException e) {
            throw failure("cannot read", e);
        }
    }

    // --- writing ---

    /** Starts the data object's upload; nothing shows under the key until it completes. */
    MultipartUpload startUpload(String fileName) {
        String key = location.key(fileName);
        try {
            String uploadId = s3.createMultipartUpload(request -> request.bucket(location.bucket()).key(key).metadata(Map.of(OURS, VersionProvider.VERSION))).uploadId();
            return new MultipartUpload(s3, location.bucket(), key, uploadId);
        } catch (SdkException e) {
            throw failure("cannot upload to", e);
        }
    }

    /** The manifest goes last: from this moment the backup exists. */
    public void putManifest(BackupManifest manifest) {
        try {
            s3.putObject(request -> request.bucket(location.bucket()).key(location.key(manifest.name() + BackupManifest.SUFFIX))
                .contentType("application/json").metadata(Map.of(OURS, VersionProvider.VERSION)), RequestBody.fromBytes(manifest.toJsonBytes()));
        } catch (SdkException e) {
            throw failure("cannot upload the manifest to", e);
        }
    }

    /** Copies a verified local backup file up (--copy-to); returns the sha256 of the bytes sent. */
    public String upload(Path file, String fileName) throws IOException {
        MultipartUpload upload = startUpload(fileName);
        try (InputStream in = Files.newInputStream(file); HashingOutputStream out = new HashingOutputStream(upload)) {
            in.transferTo(out);
            upload.complete();
            return out.sha256();
        } catch (IOException | RuntimeException e) {
            upload.abort();
            throw e;
        }
    }

    /** The data object's bytes, as they come. */
    public ResponseInputStream<GetObjectResponse> open(String fileName) {
        try {
            return s3.getObject(request -> request.bucket(location.bucket()).key(location.key(fileName)));
        } catch (SdkException e) {
            throw failure("cannot download from", e);
        }
    }

    /** Exactly the objects its manifest owns, data first: a manifest without data lists as missing, never the other way round. */
    public void delete(Entry entry) {
        try {
            for (String owned : entry.manifest().ownedFiles()) s3.deleteObject(request -> request.bucket(location.bucket()).key(location.key(owned)));
        } catch (SdkException e) {
            throw failure("cannot delete from", e);
        }
    }

    /**
     * What interrupted runs of ours left: unfinished multipart uploads of our names, and data objects with
     * our metadata but no manifest. Anything else under the prefix is not ours and stays.
     */
    public List<String> removeLeftovers() {
        List<String> removed = new ArrayList<>();
        try {
            for (software.amazon.awssdk.services.s3.model.MultipartUpload upload : s3.listMultipartUploadsPaginator(request -> request.bucket(location.bucket()).prefix(location.keyPrefix())).uploads()) {
                if (!OUR_DATA.matcher(fileName(upload.key())).matches()) continue;
                s3.abortMultipartUpload(request -> request.bucket(location.bucket()).key(upload.key()).uploadId(upload.uploadId()));
                removed.add(fileName(upload.key()) + " (unfinished upload)");
            }
        } catch (S3Exception notImplemented) {
            // a store without ListMultipartUploads expires unfinished uploads by its own lifecycle rules
        } catch (SdkException e) {
            throw failure("cannot list unfinished uploads in", e);
        }
        Set<String> described = new HashSet<>();
        List<S3Object> objects = objects();
        for (S3Object object : objects) {
            if (fileName(object.key()).endsWith(BackupManifest.SUFFIX)) described.add(fileName(object.key()).replace(BackupManifest.SUFFIX, ""));
        }
        for (S3Object object : objects) {
            String file = fileName(object.key());
            if (!OUR_DATA.matcher(file).matches() || file.endsWith(BackupManifest.SUFFIX)) continue;
            if (described.contains(file.substring(0, file.indexOf('.')))) continue;
            try {
                Map<String, String> metadata = s3.headObject(request -> request.bucket(location.bucket()).key(object.key())).metadata();
                if (!metadata.containsKey(OURS)) continue;
                s3.deleteObject(request -> request.bucket(location.bucket()).key(object.key()));
                removed.add(file + " (no manifest)");
            } catch (NoSuchKeyException gone) {
                // removed meanwhile
            } catch (SdkException e) {
                throw failure("cannot remove leftovers in", e);
            }
        }
        return removed;
    }

    /** Aborts every unfinished upload to this file's key (quietly: it runs while the JVM exits). */
    void abortUploads(String fileName) {
        String key = location.key(fileName);
        try {
            for (var upload : s3.listMultipartUploadsPaginator(request -> request.bucket(location.bucket()).prefix(key)).uploads()) {
                if (upload.key().equals(key)) s3.abortMultipartUpload(request -> request.bucket(location.bucket()).key(key).uploadId(upload.uploadId()));
            }
        } catch (RuntimeException ignored) {
            // the next run removes it
        }
    }

    private static String fileName(String key) { return key.substring(key.lastIndexOf('/') + 1); }

    // --- errors in one line ---

    /** The store's refusal in one line, with what to do; never a credential in it. */
    OxyError failure(String action, SdkException e) {
        String where = location + location.endpoint().map(uri -> " at " + withoutPath(uri)).orElse("");
        String code = e instanceof S3Exception s3e && s3e.awsErrorDetails() != null ? s3e.awsErrorDetails().errorCode() : null;
        int status = e instanceof S3Exception s3e ? s3e.statusCode() : 0;
        if ("NoSuchBucket".equals(code) || (status == 404 && action.equals("cannot reach"))) {
            return new OxyError(ExitCode.STORE_UNAVAILABLE, "the bucket " + location.bucket() + " does not exist" + location.endpoint().map(uri -> " at " + withoutPath(uri)).orElse(""),
                "Create it (aws s3 mb s3://" + location.bucket() + ") or fix the location; nothing was changed.", e);
        }
        if (status == 403 || "InvalidAccessKeyId".equals(code) || "SignatureDoesNotMatch".equals(code) || "AccessDenied".equals(code)) {
            return new OxyError(ExitCode.STORE_UNAVAILABLE, action + " " + where + ": the store refused our credentials" + (code == null ? "" : " (" + code + ")"),
                "Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE and the key's permissions on the bucket.", e);
        }
        if (e.getMessage() != null && e.getMessage().contains("Unable to load credentials")) {
            return new OxyError(ExitCode.STORE_UNAVAILABLE, "no AWS credentials for " + location,
                "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run where an instance role applies.", e);
        }
        return new OxyError(ExitCode.STORE_UNAVAILABLE, action + " " + where + ": " + describe(e),
            "Check --s3-endpoint (or AWS_ENDPOINT_URL) and that the store is up; nothing was changed.", e);
    }

    /** An SDK exception's first line, without the request ids. */
    static String describe(RuntimeException e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String message = e instanceof S3Exception s3e && s3e.awsErrorDetails() != null ? s3e.awsErrorDetails().errorMessage()
            : root != e && root.getMessage() != null ? root.getMessage() : e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message.lines().findFirst().orElse("").replaceAll(" \\(Service: .*$", "");
    }

    private static String withoutPath(URI uri) { return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort()); }

    @Override
    public void close() {
        s3.close();
    }
}
