package dev.tandem.proxy.capture;

/**
 * A cheap look for a word in SQL text before anything is tokenized: run for every statement of every mirrored
 * session, so it compares in place (no substring) and only where the first letter matches.
 */
final class SqlWords {

    private SqlWords() {
    }

    /** Whether {@code text[from, to)} contains {@code word} (lower case ASCII), in any case. */
    static boolean contains(String text, int from, int to, String word) {
        char first = word.charAt(0);
        char firstUpper = Character.toUpperCase(first);
        int end = Math.min(to, text.length());
        for (int i = from; i + word.length() <= end; i++) {
            char c = text.charAt(i);
            if ((c == first || c == firstUpper) && text.regionMatches(true, i, word, 0, word.length())) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code text} contains {@code word} (lower case ASCII), in any case. */
    static boolean contains(String text, String word) {
        return contains(text, 0, text.length(), word);
    }
}
