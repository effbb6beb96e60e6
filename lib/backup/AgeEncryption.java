import com.exceptionfactory.jagged.RecipientStanzaReader;
import com.exceptionfactory.jagged.RecipientStanzaWriter;
import com.exceptionfactory.jagged.framework.stream.StandardDecryptingChannelFactory;
import com.exceptionfactory.jagged.framework.stream.StandardEncryptingChannelFactory;
import com.exceptionfactory.jagged.x25519.X25519RecipientStanzaReaderFactory;
import com.exceptionfactory.jagged.x25519.X25519RecipientStanzaWriterFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * age (age-encryption.org/v1) to X25519 recipients: the backup is encrypted on its way out, so the server
 * holds only public keys, and `age -d -i key.txt FILE` opens it without us. Identities (private keys) are
 * read from a file only when restoring or verifying, never from a flag's value.
 */
public final class AgeEncryption {
    public static final String EXTENSION = ".age";
    /** The environment variable that may name the identity file (cron, runbooks). */
    public static final String IDENTITY_VARIABLE = "OXY_BACKUP_IDENTITY_FILE";

    private final List<String> recipients;

    private AgeEncryption(List<String> recipients) { this.recipients = recipients; }

    /**
     * --encrypt-to values: each an age1… public key, or a file of them (one per line, # comments, as age -R
     * reads). A private key among them is refused without a character of it printed.
     */
    public static AgeEncryption toRecipients(List<String> given) {
        List<String> keys = new ArrayList<>();
        for (String value : given) {
            if (looksLikeSecretKey(value)) {
                throw privateKeyGiven("--encrypt-to was given a private key (AGE-SECRET-KEY-1…) where its public key (age1…) goes", "KEYFILE",
                    " (it was on a command line: shell history and ps may have seen it)");
            }
            if (value.startsWith("age1")) {
                keys.add(value);
                continue;
            }
            Path file = Path.of(value);
            if (!Files.isRegularFile(file)) {
                throw new OxyError(ExitCode.USAGE, "--encrypt-to " + value + " is neither an age public key (age1…) nor a file of them",
                    "Make a key pair with age-keygen -o key.txt and pass the 'public key' line it prints.");
            }
            keys.addAll(recipientsIn(file));
        }
        for (String key : keys) {
            try {
                X25519RecipientStanzaWriterFactory.newRecipientStanzaWriter(key);
            } catch (GeneralSecurityException | RuntimeException e) {
                throw new OxyError(ExitCode.USAGE, "'" + key + "' is not an age X25519 public key", "Copy the 'public key: age1…' line age-keygen printed.");
            }
        }
        if (keys.isEmpty()) throw new OxyError(ExitCode.USAGE, "--encrypt-to names no recipient", null);
        return new AgeEncryption(List.copyOf(keys));
    }

    /** A recipients file's keys; a private key in it (age-keygen's own key file, say) is named by its line, never shown. */
    private static List<String> recipientsIn(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file).stream().map(String::strip).filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
        } catch (IOException e) {
            throw new OxyError(ExitCode.USAGE, "cannot read the recipients file " + file + " (" + e.getMessage() + ")", null, e);
        }
        if (lines.stream().anyMatch(AgeEncryption::looksLikeSecretKey)) {
            boolean onlyIdentities = lines.stream().allMatch(AgeEncryption::looksLikeSecretKey);
            throw privateKeyGiven("the recipients file " + file + " (--encrypt-to) holds a private key (AGE-SECRET-KEY-1…) where public keys (age1…) go",
                onlyIdentities ? Cli.shellQuote(file.toString()) : "KEYFILE", "");
        }
        return lines;
    }

    /** An age identity, in any case (bech32 is case-insensitive), anywhere in the text: never printed, never a recipient. */
    static boolean looksLikeSecretKey(String text) {
        return text.toUpperCase(java.util.Locale.ROOT).contains("AGE-SECRET-KEY-");
    }

    private static OxyError privateKeyGiven(String problem, String keyFile, String exposed) {
        return new OxyError(ExitCode.USAGE, problem, "'age-keygen -y " + keyFile + "' prints the public key to give instead; keep the private key off this server"
            + exposed + ". Nothing was written.");
    }

    /** What the manifest records: whom it is encrypted to, as short fingerprints (sha256 of each public key). */
    public List<String> fingerprints() { return recipients.stream().map(AgeEncryption::fingerprint).toList(); }

    public static String fingerprint(String recipient) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(recipient.getBytes(StandardCharsets.US_ASCII));
            return "sha256:" + HexFormat.of().formatHex(hash, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Bytes written here leave encrypted into out; close() writes the last chunk (the stream is then complete). */
    public OutputStream encrypting(OutputStream out) throws IOException {
        try {
            List<RecipientStanzaWriter> writers = new ArrayList<>();
            for (String key : recipients) writers.add(X25519RecipientStanzaWriterFactory.newRecipientStanzaWriter(key));
            return Channels.newOutputStream(new StandardEncryptingChannelFactory().newEncryptingChannel(Channels.newChannel(out), writers));
        } catch (GeneralSecurityException e) {
            throw new IOException("age encryption failed: " + e.getMessage(), e);
        }
    }

    /**
     * The plaintext of an age stream, opened with the identity file's keys. A wrong identity is one plain
     * line (exit 2) naming whom the backup was encrypted to.
     */
    public static InputStream decrypting(InputStream in, Path identityFile, List<String> encryptedTo) {
        List<RecipientStanzaReader> readers = new ArrayList<>();
        for (String key : identities(identityFile)) {
            try {
                readers.add(X25519RecipientStanzaReaderFactory.newRecipientStanzaReader(key));
            } catch (GeneralSecurityException | RuntimeException e) {
                throw new OxyError(ExitCode.USAGE, "the identity file " + identityFile + " holds a key that is not an age X25519 identity", null, e);
            }
        }
        try {
            return Channels.newInputStream(new StandardDecryptingChannelFactory().newDecryptingChannel(Channels.newChannel(in), readers));
        } catch (GeneralSecurityException | IOException e) {
            throw new OxyError(ExitCode.USAGE, "the identity in " + identityFile + " does not open this backup"
                + (encryptedTo == null || encryptedTo.isEmpty() ? "" : " (it is encrypted to " + String.join(", ", encryptedTo) + ")"),
                "Use the identity file whose public key the backup was made for; nothing was changed.", e);
        }
    }

    /** The AGE-SECRET-KEY-1… lines of an age-keygen file. */
    private static List<String> identities(Path identityFile) {
        try {
            List<String> keys = Files.readAllLines(identityFile).stream().map(String::strip).filter(line -> line.startsWith("AGE-SECRET-KEY-1")).toList();
            if (keys.isEmpty()) {
                throw new OxyError(ExitCode.USAGE, identityFile + " holds no age identity (AGE-SECRET-KEY-1…)", "Give the file age-keygen wrote.");
            }
            return keys;
        } catch (IOException e) {
            throw new OxyError(ExitCode.USAGE, "cannot read the identity file " + identityFile + " (" + e.getMessage() + ")", null, e);
        }
    }

    /**
     * ssh's rule for private keys, as a warning: whoever can read the identity file can decrypt every backup
     * made to it. Restoring goes on (a restore under pressure is not blocked by a chmod).
     */
    static void warnIfOpenToOthers(Path identityFile, Console console) {
        DurableFiles.modeIfOpenToOthers(identityFile).ifPresent(mode -> console.warn("the identity file " + identityFile + " is open to others (" + mode
            + "): whoever can read it can decrypt every backup made to its key. 'chmod 600 " + Cli.shellQuote(identityFile.toString()) + "' closes it"));
    }

    /** --identity, else the file named by OXY_BACKUP_IDENTITY_FILE, else none; the key itself given instead of its file is refused unseen. */
    public static Path identityFile(Path given) {
        String fromEnvironment = System.getenv(IDENTITY_VARIABLE);
        Path chosen = given != null ? given : fromEnvironment == null || fromEnvironment.isBlank() ? null : Path.of(fromEnvironment);
        if (chosen != null && looksLikeSecretKey(chosen.toString())) {
            throw new OxyError(ExitCode.USAGE, (given != null ? "--identity was" : IDENTITY_VARIABLE + " was") + " given a private key (AGE-SECRET-KEY-1…) itself, not the file that holds it",
                "Save it in a file only you can read (chmod 600) and name that file; nothing was changed.");
        }
        return chosen;
    }
}
