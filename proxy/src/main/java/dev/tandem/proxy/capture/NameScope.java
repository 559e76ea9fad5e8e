package dev.tandem.proxy.capture;

import java.util.Objects;
import java.util.Set;

/**
 * What an unqualified table name resolved by in a session at one moment: its search_path, its temporary tables, its
 * current user (whom {@code $user} means) and the relation DDL of its open transaction. Kept with a name resolved
 * ahead of its execution (a Bind's statement, a prepared statement's table) to tell whether it still resolves so
 * ({@link SessionNames#unchangedSince}).
 *
 * @param currentUser null when the capture cannot know it
 * @param relations   compared as the same instance: {@link RelationOverlay} makes a new one for every change
 */
record NameScope(SearchPathState.Path searchPath, Set<String> temporaryTables, String currentUser,
                 RelationOverlay relations) {

    /**
     * Whether {@code other} has the same path, temporary tables and user: what makes PostgreSQL plan a prepared
     * statement again when it changes, unlike a table created or dropped elsewhere along the path.
     */
    boolean sameSettings(NameScope other) {
        return other != null && searchPath.equals(other.searchPath) && temporaryTables.equals(other.temporaryTables)
                && Objects.equals(currentUser, other.currentUser);
    }
}
