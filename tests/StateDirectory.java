import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A test's own OXY_STATE_DIR: a new temporary directory, deleted with everything in it once the test is done. */
final class StateDirectory {
    private StateDirectory() {}

    static Path create() throws IOException {
        return Files.createTempDirectory("oxy-state-");
    }

    /** Deletes the directory and all under it, deepest first; a directory that is not there is fine. */
    static void delete(Path directory) throws IOException {
        if (directory == null || !Files.exists(directory)) return;
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) Files.deleteIfExists(path);
        }
    }
}
