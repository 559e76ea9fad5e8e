package dev.tandem.proxy.config;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/** "Did you mean" for a misspelt configuration key, by edit distance over the keys the loader knows. */
final class KeySuggestions {

    private KeySuggestions() {
    }

    /**
     * The known key path closest to {@code unknownPath}: a sibling within a small edit distance (ignoring case and
     * {@code -}/{@code _}, so {@code max_bytes} and {@code maxBytes} find {@code max-bytes}), otherwise a key with the
     * same name elsewhere in the tree ({@code spool} at the top finds {@code mirror.spool}).
     */
    static Optional<String> suggest(String unknownPath, Collection<String> knownPaths) {
        String parent = parentOf(unknownPath);
        String name = normalize(nameOf(unknownPath));
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String known : knownPaths) {
            if (!parentOf(known).equals(parent)) {
                continue;
            }
            int distance = distance(name, normalize(nameOf(known)));
            if (distance < bestDistance) {
                best = known;
                bestDistance = distance;
            }
        }
        if (best != null && bestDistance <= Math.max(2, name.length() / 3)) {
            return Optional.of(best);
        }
        for (String known : knownPaths) {
            if (normalize(nameOf(known)).equals(name)) {
                return Optional.of(known);
            }
        }
        return Optional.empty();
    }

    static String parentOf(String path) {
        int dot = path.lastIndexOf('.');
        return dot < 0 ? "" : path.substring(0, dot);
    }

    static String nameOf(String path) {
        return path.substring(path.lastIndexOf('.') + 1);
    }

    private static String normalize(String key) {
        return key.replace("-", "").replace("_", "").toLowerCase(Locale.ROOT);
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
