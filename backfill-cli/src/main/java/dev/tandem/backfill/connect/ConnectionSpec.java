package dev.tandem.backfill.connect;

import dev.tandem.backfill.UsageException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Where and as whom to connect, from a JDBC URL ({@code jdbc:postgresql://host:port/db?...}) or a libpq URL
 * ({@code postgres://user@host:port/db?sslmode=require}). The password never comes from the command line: it is read from
 * the environment variable named by {@code --source-password-env}/{@code --target-password-env}, else {@code PGPASSWORD},
 * else the URL itself. {@link #toString()} never shows it.
 */
public final class ConnectionSpec {

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final String display;

    private ConnectionSpec(String jdbcUrl, String user, String password, String display) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        this.display = display;
    }

    /**
     * {@link #parse} for the options of one side, {@code flag} ({@code --source} or {@code --target}): a bad value is a
     * usage error that names the flag.
     */
    static ConnectionSpec parseOption(String flag, String url, String passwordEnv, Path passwordFile,
                                      Map<String, String> environment) {
        try {
            return parse(url, passwordEnv, passwordFile, environment);
        } catch (IllegalArgumentException e) {
            throw new UsageException(flag + ": " + e.getMessage());
        }
    }

    /**
     * @param url              a JDBC or libpq URL
     * @param passwordEnv      name of the environment variable holding the password, or null
     * @param passwordFile     a file holding the password (wins over every other source), or null
     * @param environment      the process environment
     * @throws IllegalArgumentException with a readable message on a malformed URL, a missing variable or an unusable
     *                                  file; never with the password in it
     */
    public static ConnectionSpec parse(String url, String passwordEnv, Path passwordFile, Map<String, String> environment) {
        String password = null;
        if (passwordFile != null) {
            password = readPassword(passwordFile);
        } else if (passwordEnv != null) {
            password = environment.get(passwordEnv);
            if (password == null) {
                throw new IllegalArgumentException("environment variable " + passwordEnv + " (named by the password option) is not set");
            }
        } else if (environment.get("PGPASSWORD") != null) {
            password = environment.get("PGPASSWORD");
        }
        if (url.startsWith("jdbc:postgresql:")) {
            int query = url.indexOf('?');
            if (url.startsWith("jdbc:postgresql://")) {
                String authority = url.substring("jdbc:postgresql://".length()).split("[/?]", 2)[0];
                // pgjdbc would take it for part of the host name and repeat it in its "unknown host" message
                if (authority.contains("@")) {
                    throw new IllegalArgumentException("a JDBC URL has no user:password@ part (pgjdbc reads it as"
                            + " the host name): write postgres://user@host:port/db, or jdbc:postgresql://host:port/db"
                            + "?user=NAME, with the password in a password option or PGPASSWORD");
                }
                checkPorts(authority);
            }
            // pgjdbc would take it for part of the database name and repeat it in its "does not exist" message
            if ((query < 0 ? url : url.substring(0, query)).toLowerCase(Locale.ROOT).contains("password=")) {
                throw new IllegalArgumentException("a JDBC URL's parameters follow a '?' (jdbc:postgresql://host:port/db"
                        + "?user=NAME&password=...); without one pgjdbc reads them as part of the database name");
            }
            String display = query < 0 ? url : url.substring(0, query);
            return new ConnectionSpec(url, null, password, display);
        }
        String rest;
        if (url.startsWith("postgres://")) {
            rest = url.substring("postgres://".length());
        } else if (url.startsWith("postgresql://")) {
            rest = url.substring("postgresql://".length());
        } else {
            throw new IllegalArgumentException("'" + redact(url) + "' is neither a JDBC URL (jdbc:postgresql://host:port/db) "
                    + "nor a libpq URL (postgres://user@host:port/db)");
        }
        String query = "";
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        String database = "";
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            database = decode(rest.substring(slash + 1));
            rest = rest.substring(0, slash);
        }
        String user = environment.get("PGUSER");
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int colon = userInfo.indexOf(':');
            if (colon >= 0) {
                if (password == null) {
                    try {
                        password = decode(userInfo.substring(colon + 1));
                    } catch (IllegalArgumentException e) {
                        // the decoder's message quotes the bad escape, which is part of the password
                        throw new IllegalArgumentException("the password in the URL has a malformed %-escape (write a"
                                + " '%' in a password as %25), or pass it with a password option instead");
                    }
                }
                userInfo = userInfo.substring(0, colon);
            }
            user = decode(userInfo);
        }
        String hosts = rest.isEmpty() ? "localhost" : rest;
        checkPorts(hosts);
        if (database.isEmpty()) {
            database = user != null ? user : "postgres";
        }
        String jdbc = "jdbc:postgresql://" + hosts + "/" + database + (query.isEmpty() ? "" : "?" + query);
        return new ConnectionSpec(jdbc, user, password, "postgres://" + (user == null ? "" : user + "@") + hosts + "/" + database);
    }

    /**
     * Refuses a port pgjdbc would refuse: it logs a bare warning and answers "No suitable driver", which names neither
     * the URL nor the port.
     *
     * @param hosts {@code host[:port]} entries separated by commas, IPv6 addresses in brackets
     */
    private static void checkPorts(String hosts) {
        for (String entry : hosts.split(",", -1)) {
            int colon = entry.lastIndexOf(':');
            if (colon < 0 || colon < entry.lastIndexOf(']') || colon == entry.length() - 1) {
                continue;
            }
            String port = entry.substring(colon + 1);
            boolean valid = port.length() <= 5 && port.chars().allMatch(c -> c >= '0' && c <= '9')
                    && Integer.parseInt(port) >= 1 && Integer.parseInt(port) <= 65535;
            if (!valid) {
                throw new IllegalArgumentException("'" + port + "' in '" + entry + "' is not a port; allowed 1 to 65535");
            }
        }
    }

    /** The file's content without one trailing line break (as {@code echo} and mounted secrets leave it). */
    private static String readPassword(Path file) {
        String value;
        try {
            value = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException | UncheckedIOException e) {
            // the name is not shown: it may be the password itself, given where its file's name belongs
            throw new IllegalArgumentException("cannot read the password file (its name is not shown, in case it is"
                    + " the password itself): " + e.getClass().getSimpleName());
        }
        value = value.endsWith("\r\n") ? value.substring(0, value.length() - 2)
                : value.endsWith("\n") ? value.substring(0, value.length() - 1) : value;
        if (value.isEmpty()) {
            throw new IllegalArgumentException("the password file " + file + " is empty");
        }
        return value;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** The URL with any {@code user:password@} credentials removed, for error messages. */
    private static String redact(String url) {
        return url.replaceAll("//[^/@]*@", "//***@");
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    /** Whether a password was given (a JDBC URL may still carry one in its parameters). */
    public boolean hasPassword() {
        return password != null;
    }

    /** Connection properties for pgjdbc: user and password when known (a JDBC URL may carry the user itself). */
    public Properties properties() {
        Properties p = new Properties();
        if (user != null) {
            p.setProperty("user", user);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        return p;
    }

    @Override
    public String toString() {
        return display;
    }
}
