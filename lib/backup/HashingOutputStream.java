import java.io.IOException;
import java.io.OutputStream;

/** Streams bytes on while hashing them: the sha256 in a manifest is of exactly the bytes that went out. */
final class HashingOutputStream extends OutputStream {
    private final OutputStream out;
    private final java.security.MessageDigest digest;
    private long bytes;

    HashingOutputStream(OutputStream out) {
        this.out = out;
        this.digest = BackupStore.sha256Digest();
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] buffer, int offset, int length) throws IOException {
        digest.update(buffer, offset, length);
        bytes += length;
        out.write(buffer, offset, length);
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    long bytes() { return bytes; }

    String sha256() { return java.util.HexFormat.of().formatHex(digest.digest()); }
}
