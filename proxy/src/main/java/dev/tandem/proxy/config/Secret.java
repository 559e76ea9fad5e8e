package dev.tandem.proxy.config;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Objects;
import java.util.Optional;

/**
 * A password or token read from the environment or a file. It prints as {@code ***} wherever it ends up (records'
 * toString, log lines, exception messages); only {@link #reveal()} gives the value, at the one place that sends it.
 */
public final class Secret {

    private final String value;
    private final Optional<Path> file;

    private Secret(String value, Optional<Path> file) {
        this.value = value;
        this.file = file;
    }

    public static Secret of(String value) {
        return new Secret(Objects.requireNonNull(value, "value"), Optional.empty());
    }

    /** A secret read from {@code file}, which the start-up warnings check for permissions open to others. */
    public static Secret readFrom(Path file, String value) {
        return new Secret(Objects.requireNonNull(value, "value"), Optional.of(file));
    }

    /** The file the secret was read from; empty when it came from the environment. */
    public Optional<Path> file() {
        return file;
    }

    /** The secret itself, for the authentication exchange only. */
    public String reveal() {
        return value;
    }

    /** Compares in constant time, so a caller cannot learn a token's prefix from response times. */
    public boolean matches(String candidate) {
        if (candidate == null) {
            return false;
        }
        return MessageDigest.isEqual(value.getBytes(StandardCharsets.UTF_8), candidate.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Secret that && matches(that.value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public String toString() {
        return "***";
    }
}
