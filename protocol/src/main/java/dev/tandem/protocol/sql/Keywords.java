package dev.tandem.protocol.sql;

/** Keyword comparison the way PostgreSQL folds unquoted identifiers: ASCII letters only, no locale. */
final class Keywords {

    private Keywords() {
    }

    /** Whether {@code sql[start, end)} is {@code lowerKeyword} (given in lower case) ignoring ASCII case. */
    static boolean equalsIgnoreCase(String sql, int start, int end, String lowerKeyword) {
        int n = lowerKeyword.length();
        if (end - start != n) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = sql.charAt(start + i);
            if (c >= 'A' && c <= 'Z') {
                c += 'a' - 'A';
            }
            if (c != lowerKeyword.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
