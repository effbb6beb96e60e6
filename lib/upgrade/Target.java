/** An upgrade's target: an image (docker) or binaries (embedded), and the PostgreSQL major it runs. */
public record Target(String image, int major) {}
