import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.Properties;

/**
 * A PostgreSQL connection URL (postgresql:// or postgres://, as libpq and Oxy take them), with the
 * password kept out of everything printable: {@link #toString()} is the masked form. Parts the URL leaves
 * out come from the libpq environment (PGUSER, PGPASSWORD, PGHOST, PGPORT, PGDATABASE).
 */
public final class PostgresUrl {
    public static final String EXPECTED = "postgresql://USER:PASSWORD@HOST:PORT/DATABASE";

    private final String user;
    private final String password;
    private final String host;
    private final int port;
    private final String database;
    private final String query;

    public PostgresUrl(String user, String password, String host, int port, String database, String query) {
        this.user = user;
        this.password = password;
        this.host = host;
        this.port = port;
        this.database = database;
        this.query = query == null ? "" : query;
    }

    public static PostgresUrl local(int port, String user, String password, String database) {
        return new PostgresUrl(user, password, "localhost", port, database, "");
    }

    /** Parses a URL, or throws an {@link OxyError} (exit 2) naming what is wrong and the expected format. */
    public static PostgresUrl parse(String text) {
        return parse(text, System.getenv());
    }

    static PostgresUrl parse(String text, Map<String, String> env) {
        if (text == null || text.isBlank()) throw badUrl("the database URL is empty");
        String value = text.strip();
        if (value.startsWith("jdbc:")) value = value.substring(5); // a pasted JDBC URL is the same place
        int schemeEnd = value.indexOf("://");
        if (schemeEnd < 0) {
            throw badUrl("the database URL '" + maskRaw(value) + "' has no scheme");
        }
        String scheme = value.substring(0, schemeEnd).toLowerCase();
        if (!scheme.equals("postgresql") && !scheme.equals("postgres")) {
            throw badUrl("the database URL has scheme '" + scheme + "://', not postgresql://");
        }
        value = asciiHost(value);
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw badUrl("the database URL '" + maskRaw(value) + "' is not a valid URL (" + e.getReason() + ")");
        }
        String host = uri.getHost();
        if (host == null && uri.getRawAuthority() != null && !uri.getRawAuthority().isEmpty()) {
            // java.net.URI gives no host for either a bad host or a bad port: say which one it is
            String hostAndPort = uri.getRawAuthority().substring(uri.getRawAuthority().lastIndexOf('@') + 1);
            int colon = hostAndPort.lastIndexOf(':');
            String portText = colon < 0 ? "" : hostAndPort.substring(colon + 1);
            if (colon < 0 || portText.matches("\\d{1,5}") && Integer.parseInt(portText) >= 1 && Integer.parseInt(portText) <= 65535) {
                throw badUrl("the database URL has a host '" + decode(colon < 0 ? hostAndPort : hostAndPort.substring(0, colon)) + "' that is not a valid host name");
            }
            throw badUrl("the database URL has an invalid port '" + portText + "' (use a number from 1 to 65535)");
        }
        if (host != null && host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1); // IPv6: bracketed again when shown
        int port = uri.getPort();
        if (port == 0 || port > 65535) {
            throw badUrl("the database URL has an invalid port '" + port + "' (use a number from 1 to 65535)");
        }
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String[] parts = uri.getRawUserInfo().split(":", 2);
            user = decode(parts[0]);
            if (parts.length > 1) password = decode(parts[1]);
        }
        // libpq also takes user= and password= in the query: they are credentials like the userinfo's, kept out of the query
        String query = uri.getRawQuery() == null ? "" : uri.getRawQuery();
        if (user == null) user = queryParameter(query, "user");
        if (password == null) password = queryParameter(query, "password");
        query = withoutParameters(query, Set.of("user", "password"));
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String database = path.startsWith("/") ? decode(path.substring(1)) : decode(path);
        return new PostgresUrl(
            orEnv(user, env, "PGUSER", "postgres"),
            orEnv(password, env, "PGPASSWORD", null),
            host == null || host.isEmpty() ? env.getOrDefault("PGHOST", "localhost") : host,
            port > 0 ? port : Integer.parseInt(env.getOrDefault("PGPORT", "5432")),
            orEnv(database, env, "PGDATABASE", null) == null ? orEnv(user, env, "PGUSER", "postgres") : orEnv(database, env, "PGDATABASE", null),
            query);
    }

    /** Query parameters whose values are secrets (libpq's and pgjdbc's names): masked wherever a URL is shown. */
    private static final Set<String> SECRET_PARAMETERS = Set.of("password", "sslpassword");

    private static String queryParameter(String query, String name) {
        for (String parameter : query.split("&")) {
            int equals = parameter.indexOf('=');
            if (equals > 0 && decode(parameter.substring(0, equals)).equalsIgnoreCase(name)) return decode(parameter.substring(equals + 1));
        }
        return null;
    }

    private static String withoutParameters(String query, Set<String> names) {
        return Arrays.stream(query.split("&")).filter(p -> !p.isEmpty() && !names.contains(parameterName(p))).collect(Collectors.joining("&"));
    }

    private static String parameterName(String parameter) {
        int equals = parameter.indexOf('=');
        return decode(equals < 0 ? parameter : parameter.substring(0, equals)).toLowerCase(Locale.ROOT);
    }

    /** The query as it may be shown: every secret parameter's value replaced by ****. */
    private static String maskedQuery(String query) {
        return Arrays.stream(query.split("&")).filter(p -> !p.isEmpty())
            .map(p -> SECRET_PARAMETERS.contains(parameterName(p)) ? p.substring(0, Math.max(p.indexOf('='), 0)) + "=****" : p)
            .collect(Collectors.joining("&"));
    }

    /**
     * An internationalised host name (bücher.example) in its ASCII form (xn--bcher-kva.example), as DNS and
     * libpq take it; java.net.URI reads no other. One that has none is named as the problem, not its port.
     */
    private static String asciiHost(String url) {
        java.util.regex.Matcher authority = java.util.regex.Pattern.compile("^([^:]+://(?:[^@/?#]*@)?)([^:/?#\\[\\]]+)(.*)$", java.util.regex.Pattern.DOTALL).matcher(url);
        if (!authority.matches() || authority.group(2).chars().allMatch(c -> c < 128)) return url;
        try {
            return authority.group(1) + java.net.IDN.toASCII(authority.group(2), java.net.IDN.ALLOW_UNASSIGNED) + authority.group(3);
        } catch (IllegalArgumentException e) {
            throw badUrl("the database URL has a host '" + authority.group(2) + "' that is not a valid host name (" + e.getMessage() + ")");
        }
    }

    private static String orEnv(String value, Map<String, String> env, String name, String fallback) {
        if (value != null && !value.isEmpty()) return value;
        String fromEnv = env.get(name);
        return fromEnv != null && !fromEnv.isEmpty() ? fromEnv : fallback;
    }

    private static String decode(String text) { return URLDecoder.decode(text, StandardCharsets.UTF_8); }

    private static String encode(String text) { return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20"); }

    private static OxyError badUrl(String problem) {
        return new OxyError(ExitCode.USAGE, problem, "Expected " + EXPECTED + " (or postgres://...).");
    }

    /** Masks the password in text that failed to parse, so even a bad URL is safe to print. */
    static String maskRaw(String text) {
        return text.replaceFirst("^((?:[A-Za-z][A-Za-z0-9+.-]*://)?[^:/@]*:)[^@/]*@", "$1****@")
            .replaceAll("(?i)([?&](?:ssl)?password=)[^&#]*", "$1****");
    }

    public String user() { return user; }
    public String host() { return host; }
    public int port() { return port; }
    public String database() { return database; }
    public boolean hasPassword() { return password != null; }

    /** For child processes' PGPASSWORD only. Never print it. */
    public String password() { return password; }

    /** sslmode from the URL's query, for libpq tools (PGSSLMODE). */
    public java.util.Optional<String> sslMode() {
        return java.util.Arrays.stream(query.split("&")).filter(p -> p.startsWith("sslmode="))
            .map(p -> p.substring("sslmode=".length())).findFirst();
    }

    /** The same server and credentials, another database (for scratch or maintenance connections). */
    public PostgresUrl withDatabase(String otherDatabase) {
        return new PostgresUrl(user, password, host, port, otherDatabase, query);
    }

    /** The same URL with this password (one found in ~/.pgpass, for a connection string made here). */
    public PostgresUrl withPassword(String otherPassword) {
        return new PostgresUrl(user, otherPassword, host, port, database, query);
    }

    /** The same URL without a password: what a printed command may carry (psql then asks, or reads PGPASSWORD / ~/.pgpass). */
    public PostgresUrl withoutPassword() {
        return new PostgresUrl(user, null, host, port, database, withoutParameters(query, SECRET_PARAMETERS));
    }

    /** The URL with its password, for the app's OXY_DATABASE_URL. Never print it. */
    public String secret() { return render(false); }

    /** The URL with the password (and secret query parameters) replaced by ****: the only form that is printed or logged. */
    @Override
    public String toString() { return render(true); }

    private String render(boolean masked) {
        String shownPassword = password == null ? null : masked ? "****" : encode(password);
        String userInfo = encode(user) + (shownPassword == null ? "" : ":" + shownPassword);
        String hostPart = host.contains(":") ? "[" + host + "]" : host;
        String shownQuery = masked ? maskedQuery(query) : query;
        return "postgresql://" + userInfo + "@" + hostPart + ":" + port + "/" + encode(database) + (shownQuery.isEmpty() ? "" : "?" + shownQuery);
    }

    /** The JDBC URL without credentials; they travel in {@link #connectionProperties()}. */
    public String jdbcUrl() {
        String hostPart = host.contains(":") ? "[" + host + "]" : host;
        return "jdbc:postgresql://" + hostPart + ":" + port + "/" + encode(database) + (query.isEmpty() ? "" : "?" + query);
    }

    public Properties connectionProperties() {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        if (password != null) properties.setProperty("password", password);
        properties.setProperty("ApplicationName", "oxy-ops");
        properties.setProperty("connectTimeout", "5");
        properties.setProperty("loginTimeout", "10");
        return properties;
    }

    /** Connects once; the SQLException is for the caller to retry or turn into {@link #unavailable}. */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), connectionProperties());
    }

    /** What a failed connection means to a user, in one line, with what to do. */
    public OxyError unavailable(SQLException error) {
        String state = error.getSQLState() == null ? "" : error.getSQLState();
        String message = Cli.describe(error);
        if (state.equals("28P01") || state.equals("28000")) {
            return new OxyError(ExitCode.DATABASE_UNAVAILABLE,
                "PostgreSQL at " + host + ":" + port + " refused the password for user '" + user + "'",
                "Check the password in the URL or OXY_POSTGRES_PASSWORD / PGPASSWORD.", error);
        }
        if (state.equals("55000") && message.contains("not currently accepting connections")) {
            return new OxyError(ExitCode.DATABASE_UNAVAILABLE, "database '" + database + "' on " + host + ":" + port + " refuses new sessions (ALLOW_CONNECTIONS false)",
                "A restore killed mid-swap leaves it so; the next restore reopens it, or: ALTER DATABASE " + Databases.quote(database) + " WITH ALLOW_CONNECTIONS true", error);
        }
        if (state.equals("3D000")) {
            return new OxyError(ExitCode.DATABASE_UNAVAILABLE,
                "database '" + database + "' does not exist on " + host + ":" + port,
                "Create it (createdb " + Cli.shellQuote(database) + ") or name another database in the URL.", error);
        }
        if (message.contains("UnknownHost") || error.getCause() instanceof java.net.UnknownHostException) {
            return new OxyError(ExitCode.DATABASE_UNAVAILABLE, "unknown host '" + host + "' in " + this,
                "Check the host name in the URL.", error);
        }
        return new OxyError(ExitCode.DATABASE_UNAVAILABLE,
            "PostgreSQL at " + host + ":" + port + " does not answer (" + firstLine(message) + ")",
            "Is it running? './jbang oxy status' shows what is wrong; './jbang oxy start' starts the local one.", error);
    }

    private static String firstLine(String text) {
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
