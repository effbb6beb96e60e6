import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Is a host port free, who holds it, and which one nearby is free: asked before PostgreSQL is started on it. */
public final class HostPorts {
    private HostPorts() {}

    /** True when this user could listen on the port on the loopback address (where PostgreSQL will). */
    public static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true); // as PostgreSQL and Docker bind: a port in TIME_WAIT is free, a listener is not
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The error for a taken port: who holds it (the caller may know better than /proc), and a free port to use instead. */
    public static OxyError inUse(int port, Optional<String> knownHolder) {
        String holder = knownHolder.or(() -> listener(port)).map(who -> " by " + who).orElse("");
        String suggestion = nextFree(port).map(free -> "Use a free port: --postgres-port " + free
            + " (or OXY_POSTGRES_PORT=" + free + ").").orElse("Free the port or choose another with --postgres-port.");
        return new OxyError(ExitCode.PORT_IN_USE, "port " + port + " is already in use" + holder, suggestion);
    }

    /** The next free port above this one, for the suggestion in the error message. */
    public static Optional<Integer> nextFree(int port) {
        for (int candidate = port + 1; candidate <= Math.min(65535, port + 200); candidate++) {
            if (isFree(candidate)) return Optional.of(candidate);
        }
        return Optional.empty();
    }

    /**
     * The process listening on the port, as "name (pid N)", when Linux's /proc tells it. Best effort:
     * other users' processes are invisible without root, and other systems have no /proc.
     */
    public static Optional<String> listener(int port) {
        Optional<String> inode = listeningSocketInode(port);
        if (inode.isEmpty()) return Optional.empty();
        String socketLink = "socket:[" + inode.get() + "]";
        try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
            for (Path process : (Iterable<Path>) processes.filter(p -> p.getFileName().toString().matches("\\d+"))::iterator) {
                try (Stream<Path> fds = Files.list(process.resolve("fd"))) {
                    boolean holds = fds.anyMatch(fd -> {
                        try {
                            return Files.readSymbolicLink(fd).toString().equals(socketLink);
                        } catch (IOException e) {
                            return false;
                        }
                    });
                    if (holds) return Optional.of(commandName(process) + " (pid " + process.getFileName() + ")");
                } catch (IOException | SecurityException ignored) {
                    // not ours to look at
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static Optional<String> listeningSocketInode(int port) {
        String hexPort = String.format(":%04X", port);
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] fields = line.trim().split("\\s+");
                    // local_address, st == 0A (LISTEN), inode
                    if (fields.length > 9 && fields[1].endsWith(hexPort) && fields[3].equals("0A")) {
                        return Optional.of(fields[9]);
                    }
                }
            } catch (IOException ignored) {
                // no /proc here
            }
        }
        return Optional.empty();
    }

    private static String commandName(Path process) {
        try {
            String cmdline = Files.readString(process.resolve("cmdline")).replace('\0', ' ').trim();
            String first = cmdline.isEmpty() ? Files.readString(process.resolve("comm")).trim() : cmdline.split(" ")[0];
            return Path.of(first).getFileName().toString();
        } catch (IOException | RuntimeException e) {
            return "a process";
        }
    }
}
