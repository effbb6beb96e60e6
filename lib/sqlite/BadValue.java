/** A value PostgreSQL would reject, with the reason in words. */
public final class BadValue extends Exception {
    public BadValue(String reason) { super(reason, null, false, false); }
}
