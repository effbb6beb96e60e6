import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * A stream of unknown length written to one S3 object: parts go up on two other threads while the next
 * fills (at most two in flight, so memory stays under ~48 MiB and a slow store slows the dump, not the
 * heap). Nothing is visible under the key until complete(); abort() removes every uploaded part.
 */
final class MultipartUpload extends OutputStream {
    /**
     * Parts of S3's smallest size keep what is left to send after the dump ends small; from part 1001 on
     * 16 MiB, so the 10,000 parts S3 allows hold ~150 GB.
     */
    static int partSize(int number) { return number <= 1000 ? 5 << 20 : 16 << 20; }

    private final S3Client s3;
    private final String bucket;
    private final String key;
    private final String uploadId;
    private final ExecutorService uploader = Executors.newFixedThreadPool(2, runnable -> {
        Thread thread = new Thread(runnable, "upload-parts");
        thread.setDaemon(true);
        return thread;
    });
    private final Semaphore inFlight = new Semaphore(2);
    private final List<Future<CompletedPart>> parts = new ArrayList<>();
    private byte[] current = new byte[partSize(1)];
    private int filled;
    private volatile boolean finished;

    MultipartUpload(S3Client s3, String bucket, String key, String uploadId) {
        this.s3 = s3;
        this.bucket = bucket;
        this.key = key;
        this.uploadId = uploadId;
    }

    String key() { return key; }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        while (length > 0) {
            int n = Math.min(length, current.length - filled);
            System.arraycopy(bytes, offset, current, filled, n);
            filled += n;
            offset += n;
            length -= n;
            if (filled == current.length) sendPart();
        }
    }

    /** Hands the filled buffer to the uploader; waits while two parts are already on their way. */
    private void sendPart() throws IOException {
        failIfAPartFailed();
        byte[] part = current;
        int length = filled;
        int number = parts.size() + 1;
        try {
            inFlight.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while uploading", e);
        }
        parts.add(uploader.submit(() -> {
            try {
                // Content-MD5: the store rejects a part that arrives other than it left (every S3-compatible store knows it)
                String md5 = java.util.Base64.getEncoder().encodeToString(md5(part, length));
                String eTag = s3.uploadPart(request -> request.bucket(bucket).key(key).uploadId(uploadId).partNumber(number)
                        .contentLength((long) length).contentMD5(md5),
                    RequestBody.fromBytes(length == part.length ? part : java.util.Arrays.copyOf(part, length))).eTag();
                return CompletedPart.builder().partNumber(number).eTag(eTag).build();
            } finally {
                inFlight.release();
            }
        }));
        current = new byte[partSize(number + 1)];
        filled = 0;
    }

    private static byte[] md5(byte[] bytes, int length) {
        try {
            java.security.MessageDigest digest = java.security.MessageDigest.getInstance("MD5");
            digest.update(bytes, 0, length);
            return digest.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void failIfAPartFailed() throws IOException {
        for (Future<CompletedPart> part : parts) {
            if (part.isDone()) awaitPart(part);
        }
    }

    private static CompletedPart awaitPart(Future<CompletedPart> part) throws IOException {
        try {
            return part.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? new IOException(S3Backups.describe(runtime), runtime) : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while uploading", e);
        }
    }

    /** Uploads what is left and makes the object appear under its key. */
    void complete() throws IOException {
        if (filled > 0 || parts.isEmpty()) sendPart();
        List<CompletedPart> done = new ArrayList<>();
        for (Future<CompletedPart> part : parts) done.add(awaitPart(part));
        s3.completeMultipartUpload(request -> request.bucket(bucket).key(key).uploadId(uploadId)
            .multipartUpload(upload -> upload.parts(done)));
        finished = true;
        uploader.shutdown();
    }

    /** Drops the parts sent so far; quiet, because it runs on failure paths (the next run cleans up what it could not). */
    void abort() {
        if (finished) return;
        finished = true;
        uploader.shutdownNow();
        try {
            // a part still on its way would land after the abort and leave the upload listed: let it end first
            uploader.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            s3.abortMultipartUpload(request -> request.bucket(bucket).key(key).uploadId(uploadId));
        } catch (RuntimeException ignored) {
            // the store is gone: the next backup run aborts it
        }
    }

    @Override
    public void close() {
        // complete() or abort() decide; closing the stream chain must not do either
    }
}
