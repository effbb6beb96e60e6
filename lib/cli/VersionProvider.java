import picocli.CommandLine.IVersionProvider;

/** `--version` of every command: one version for the whole toolkit, since the scripts ship together. */
public class VersionProvider implements IVersionProvider {
    public static final String VERSION = "0.1.0";

    @Override
    public String[] getVersion() {
        return new String[] {
            "oxy-ops " + VERSION,
            "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"
        };
    }
}
