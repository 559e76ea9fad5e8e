package dev.tandem.proxy.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The bearer token that unlocks the mutating admin endpoints.
 *
 * <p>Only a SHA-256 digest of the secret is kept, and a presented token is digested before the comparison, so
 * {@link MessageDigest#isEqual} compares two equal-length arrays: the time taken reveals neither the content nor the
 * length of the secret. {@link #toString()} never shows it.
 */
public final class AdminToken {

    private final byte[] digest;

    private AdminToken(byte[] digest) {
        this.digest = digest;
    }

    /** A token with this secret; blank secrets are refused because they would protect nothing. */
    public static AdminToken of(String secret) {
        if (secret == null || secret.isBlank()) {
            throw new IllegalArgumentException("the admin token must not be blank");
        }
        return new AdminToken(sha256(secret.strip()));
    }

    /** Whether {@code presented} is this token, in time independent of both values. */
    public boolean matches(String presented) {
        if (presented == null) {
            return false;
        }
        return MessageDigest.isEqual(sha256(presented.strip()), digest);
    }

    private static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "AdminToken[redacted]";
    }
}
