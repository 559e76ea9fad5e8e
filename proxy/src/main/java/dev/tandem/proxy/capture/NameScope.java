package dev.tandem.proxy.capture;

import java.util.Set;

/**
 * What an unqualified table name resolved by in a session at one moment: its search_path, its temporary tables and its
 * current user (whom {@code $user} means). Kept with a name resolved ahead of its execution (a Bind's statement, a
 * prepared statement's table) to tell whether it still resolves so ({@link SessionNames#unchangedSince}).
 *
 * @param currentUser null when the capture cannot know it
 */
record NameScope(SearchPathState.Path searchPath, Set<String> temporaryTables, String currentUser) {
}
