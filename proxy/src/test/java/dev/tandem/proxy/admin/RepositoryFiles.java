package dev.tandem.proxy.admin;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds files of the repository from a test running in a module directory. */
final class RepositoryFiles {

    private RepositoryFiles() {
    }

    static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            if (Files.isRegularFile(dir.resolve("mvnw")) && Files.isDirectory(dir.resolve("docker"))) {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("cannot find the repository root (a folder with mvnw and docker/) above "
                + Path.of("").toAbsolutePath());
    }

    static Path path(String relative) {
        Path file = root().resolve(relative);
        if (!Files.exists(file)) {
            throw new IllegalStateException(relative + " is missing from the repository");
        }
        return file;
    }
}
