package dev.tandem.proxy.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** Keeps docs/configuration.md and the loader in step: every key documented, the example file valid. */
class ConfigurationDocTest {

    private static final Path DOC = Path.of("..", "docs", "configuration.md");

    @TempDir
    Path dir;

    @Test
    void everyKeyIsDocumentedAndInTheCompleteExample() throws IOException {
        String doc = Files.readString(DOC);
        String example = completeExample(doc);

        for (String key : leafKeys()) {
            assertThat(doc).as("docs/configuration.md documents %s", key).contains("`" + key + "`");
            assertThat(example).as("the complete example sets %s", key)
                    .contains(KeySuggestions.nameOf(key) + ":");
        }
    }

    @Test
    void theCompleteExampleLoads() throws Exception {
        Path file = Files.writeString(dir.resolve("tandem.yaml"), completeExample(Files.readString(DOC)));
        Files.createDirectories(dir.resolve("certs"));
        ConfigLoaderTest.writeKeyPair(dir.resolve("certs/proxy.crt"), dir.resolve("certs/proxy.key"));
        Files.copy(dir.resolve("certs/proxy.crt"), dir.resolve("certs/source-ca.crt"));
        Files.copy(dir.resolve("certs/proxy.crt"), dir.resolve("certs/target-ca.crt"));

        ProxyConfig config = ConfigLoader.load(file, Overrides.none(), Map.of());

        assertThat(config.instanceId()).isEqualTo("proxy-a");
        assertThat(config.mirror().tables().include()).hasSize(2);
    }

    private static Set<String> leafKeys() {
        Set<String> known = ConfigLoader.knownKeys();
        return known.stream()
                .filter(key -> known.stream().noneMatch(other -> other.startsWith(key + ".")))
                .collect(Collectors.toSet());
    }

    private static String completeExample(String doc) {
        int section = doc.indexOf("## A complete file");
        int start = doc.indexOf("```yaml\n", section) + "```yaml\n".length();
        return doc.substring(start, doc.indexOf("```", start));
    }
}
