import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/** Files a kill leaves whole or untouched (written under a temporary name, then renamed), fsync, a recursive delete, and who may read them. */
public final class DurableFiles {
    private DurableFiles() {}

    /** Writes text to a ".tmp" sibling, then renames it over file: a kill leaves the old content or the new, never half. */
    public static void writeAtomically(Path file, String text) throws IOException {
        Path temporary = temporarySibling(file);
        Files.writeString(temporary, text);
        renameOver(temporary, file);
    }

    /** writeAtomically for bytes. */
    public static void writeAtomically(Path file, byte[] content) throws IOException {
        Path temporary = temporarySibling(file);
        Files.write(temporary, content);
        renameOver(temporary, file);
    }

    /**
     * As writeAtomically, through the caller's temporary name (one its clean-up recognises), readable by the
     * owner only (0600) and forced to disk before the rename.
     */
    public static void writePrivateAndSynced(Path file, Path temporary, byte[] content) throws IOException {
        Files.write(temporary, content);
        Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
        fsync(temporary);
        renameOver(temporary, file);
    }

    private static Path temporarySibling(Path file) { return file.resolveSibling(file.getFileName() + ".tmp"); }

    private static void renameOver(Path temporary, Path file) throws IOException {
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Forces a file, or a directory and its files, to disk. */
    public static void fsync(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            try (Stream<Path> files = Files.list(path)) {
                for (Path file : files.toList()) fsync(file);
            }
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /** Deletes a file or a directory tree; symbolic links are removed, never followed. Nothing there is fine. */
    public static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) return;
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> children = Files.list(path)) {
                for (Path child : children.toList()) deleteRecursively(child);
            }
        }
        Files.deleteIfExists(path);
    }

    /** The mode ("rw-r--r--") of a file or directory group or others have any access to (mode & 077 != 0); empty when private or unknown. */
    public static Optional<String> modeIfOpenToOthers(Path path) {
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(path);
            boolean open = mode.stream().anyMatch(p -> p.name().startsWith("GROUP_") || p.name().startsWith("OTHERS_"));
            return open ? Optional.of(PosixFilePermissions.toString(mode)) : Optional.empty();
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }
}
