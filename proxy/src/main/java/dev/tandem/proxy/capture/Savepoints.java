package dev.tandem.proxy.capture;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The savepoints of the open transaction, each with what a piece of session state was when it was set, for state
 * that a ROLLBACK TO SAVEPOINT restores ({@link SettingLayers}, {@link TemporaryTables}). PostgreSQL's rules: a
 * name may be used again (the latest one wins); ROLLBACK TO keeps its savepoint and drops later ones; RELEASE drops it
 * and later ones. A name the capture could not read (null) matches none.
 *
 * @param <T> the state kept per savepoint
 */
final class Savepoints<T> {

    private record Saved<T>(String name, T state) {
    }

    private final List<Saved<T>> stack = new ArrayList<>();

    void set(String name, T state) {
        stack.add(new Saved<>(name, state));
    }

    /** The state kept at the latest savepoint of that name, which stays while later ones go; null when there is none. */
    T rollbackTo(String name) {
        for (int i = stack.size() - 1; i >= 0; i--) {
            if (name != null && name.equals(stack.get(i).name())) {
                stack.subList(i + 1, stack.size()).clear();
                return stack.get(i).state();
            }
        }
        return null;
    }

    /**
     * Drops the latest savepoint of that name and the later ones.
     *
     * @return the state kept at the savepoint dropped; null when there is none
     */
    T release(String name) {
        for (int i = stack.size() - 1; i >= 0; i--) {
            if (name != null && name.equals(stack.get(i).name())) {
                T state = stack.get(i).state();
                stack.subList(i, stack.size()).clear();
                return state;
            }
        }
        return null;
    }

    /** Each savepoint's state, oldest first. */
    void forEach(Consumer<T> action) {
        for (Saved<T> saved : stack) {
            action.accept(saved.state());
        }
    }

    /** The transaction ended. */
    void clear() {
        stack.clear();
    }
}
