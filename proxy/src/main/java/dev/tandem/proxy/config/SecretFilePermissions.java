package dev.tandem.proxy.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * Whether a secret's file can be read or changed by users other than its owner. Only a warning, never a refusal:
 * Kubernetes mounts secrets 0644 unless told otherwise, and such a file is safe when its directory is not open to
 * others. A file system without POSIX permissions, or a file whose permissions cannot be read, is not warned about.
 */
final class SecretFilePermissions {

    private static final Set<PosixFilePermission> OPEN_TO_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);

    private SecretFilePermissions() {
    }

    /**
     * @param key  the configuration key that named the file, e.g. {@code target.password-file}
     * @param what what the file holds, for the warning
     */
    static Optional<String> warning(String key, Path file, String what) {
        Set<PosixFilePermission> permissions;
        try {
            permissions = Files.getPosixFilePermissions(file);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return Optional.empty();
        }
        if (permissions.stream().noneMatch(OPEN_TO_OTHERS::contains)) {
            return Optional.empty();
        }
        return Optional.of(key + ": '" + file + "' holding " + what + " has permissions "
                + PosixFilePermissions.toString(permissions) + ", open to users other than its owner; chmod 600 '"
                + file + "' (a mounted Kubernetes or Docker secret may be left as is when its directory is not open"
                + " to them)");
    }
}
