package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.ClassifiedStatement;
import dev.tandem.protocol.sql.ClassifiedStatement.TxCommand;
import dev.tandem.protocol.sql.TableName;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * Decides, from the source's own answers, which captured writes committed. Nothing is released before the source
 * says so, and everything it committed is released exactly once.
 *
 * <pre>
 *            statement ok                BEGIN                      COMMIT tag "COMMIT"  -> release
 *   IDLE ----------------> IMPLICIT ----------------> EXPLICIT ---- COMMIT tag "ROLLBACK" -> discard
 *    ^  ^                     |   (BEGIN keeps what the  |  ^       ROLLBACK               -> discard
 *    |  |  ReadyForQuery 'I': |    string ran before it) |  |       PREPARE TRANSACTION    -> discard
 *    |  +-- release ----------+                   error  v  | ROLLBACK TO SAVEPOINT: back to the savepoint
 *    |                        | error                  FAILED
 *    |  ReadyForQuery 'I':    v
 *    +---- discard ---- IMPLICIT_FAILED
 * </pre>
 *
 * The server runs a multi-statement Query, and an extended-protocol batch up to Sync, as one implicit transaction:
 * an error anywhere in it rolls back all of it, so the buffer is released at ReadyForQuery 'I' only if no error came
 * since the transaction began. Savepoints are a stack of buffer sizes.
 */
public final class TransactionTracker {

    /** Where committed and discarded transactions go. */
    public interface Listener {
        void committed(List<CapturedStatement> statements);

        /** A transaction with captured writes rolled back (or was prepared for two-phase commit). */
        default void discarded(List<CapturedStatement> statements, String why) {
        }

        /** ROLLBACK TO SAVEPOINT undid these captured writes; the transaction and what came before stay. */
        default void undone(List<CapturedStatement> statements, String savepoint) {
        }

        /**
         * Any transaction ended, with or without captured writes: for the session state that follows transactions
         * (settings). {@code committed} is how the server treats settings: PREPARE TRANSACTION keeps them.
         */
        default void ended(boolean committed) {
        }

        /** A savepoint was set, released, or rolled back to (the savepoint itself stays then). */
        default void savepoint(TxCommand command, String name) {
        }
    }

    enum State { IDLE, IMPLICIT, IMPLICIT_FAILED, EXPLICIT, FAILED }

    /** An effect asked for {@code times} times since the last savepoint: one entry per key and savepoint level. */
    private static final class Effect {
        final Object key;
        final LongConsumer apply;
        long times = 1;

        Effect(Object key, LongConsumer apply) {
            this.key = key;
            this.apply = apply;
        }
    }

    /** {@code size} and {@code effects}: how many captured writes and effects came before the savepoint. */
    private record Savepoint(String name, int size, int effects) {
    }

    private final Listener listener;
    private final List<CapturedStatement> buffer = new ArrayList<>();
    /**
     * The tables of {@link #buffer}, in the order of their first write, each with its count of writes: kept as the
     * buffer changes so that a forecast of a transaction of many INSERTs, made at every request, does not walk them all.
     */
    private final Map<TableName, Integer> bufferTables = new LinkedHashMap<>();
    private final List<Savepoint> savepoints = new ArrayList<>();
    /** What happens only if the open transaction commits (counting what it did); dropped with what it undoes. */
    private final List<Effect> effects = new ArrayList<>();
    private State state = State.IDLE;

    public TransactionTracker(Listener listener) {
        this.listener = listener;
    }

    State state() {
        return state;
    }

    /** Whether the open transaction has savepoints to roll back to. */
    boolean hasSavepoints() {
        return !savepoints.isEmpty();
    }

    /** The captured writes of the open transaction so far (a view); empty when none is open. */
    List<CapturedStatement> written() {
        return Collections.unmodifiableList(buffer);
    }

    /** The tables of {@link #written}, in the order of their first write (a view). */
    Set<TableName> writtenTables() {
        return Collections.unmodifiableSet(bufferTables.keySet());
    }

    private void buffer(CapturedStatement captured) {
        buffer.add(captured);
        bufferTables.merge(captured.table(), 1, Integer::sum);
    }

    private void clearBuffer() {
        buffer.clear();
        bufferTables.clear();
    }

    /**
     * The source completed a statement (CommandComplete).
     *
     * @param statement what it was, as classified (may be null for a statement the proxy could not classify)
     * @param tag       the CommandComplete tag
     * @param captured  the captured write, or null when the statement is not mirrored
     */
    public void completed(ClassifiedStatement statement, String tag, CapturedStatement captured) {
        if (state == State.IDLE) {
            state = State.IMPLICIT;
        }
        if (captured != null) {
            buffer(captured);
        }
        if (statement == null || statement.kind() != ClassifiedStatement.Kind.TRANSACTION) {
            return;
        }
        TxCommand command = statement.txCommand();
        switch (command) {
            case BEGIN -> state = State.EXPLICIT;
            case COMMIT, COMMIT_AND_CHAIN -> {
                boolean committed = tag.startsWith("COMMIT");
                if (committed) {
                    release();
                } else {
                    discard("the transaction had failed, so COMMIT rolled it back");
                }
                listener.ended(committed);
                state = command == TxCommand.COMMIT_AND_CHAIN ? State.EXPLICIT : State.IMPLICIT;
            }
            case ROLLBACK, ROLLBACK_AND_CHAIN -> {
                discard("rolled back");
                listener.ended(false);
                state = command == TxCommand.ROLLBACK_AND_CHAIN ? State.EXPLICIT : State.IMPLICIT;
            }
            case PREPARE_TRANSACTION -> {
                discard("PREPARE TRANSACTION: two-phase transactions are not mirrored");
                listener.ended(true);
                state = State.IMPLICIT;
            }
            case SAVEPOINT -> {
                savepoints.add(new Savepoint(statement.name(), buffer.size(), effects.size()));
                listener.savepoint(command, statement.name());
            }
            case RELEASE -> {
                popThrough(statement.name(), false);
                listener.savepoint(command, statement.name());
            }
            case ROLLBACK_TO_SAVEPOINT -> {
                popThrough(statement.name(), true);
                listener.savepoint(command, statement.name());
                if (state == State.FAILED) {
                    state = State.EXPLICIT;
                }
            }
            default -> {
                // COMMIT/ROLLBACK PREPARED act on another, already prepared transaction
            }
        }
    }

    /**
     * Runs {@code effect} when the transaction the next or current statement belongs to commits, and never if it
     * rolls back (to a savepoint before it included): for counters of what transactions did, not of what they tried.
     * Effects of one {@code key} are merged and run once with how many times they were asked for, so a transaction
     * of a million UPDATEs keeps one entry, not a million.
     */
    public void onCommit(Object key, LongConsumer effect) {
        int since = savepoints.isEmpty() ? 0 : savepoints.get(savepoints.size() - 1).effects();
        for (int i = effects.size() - 1; i >= since; i--) {
            if (effects.get(i).key.equals(key)) {
                effects.get(i).times++;
                return;
            }
        }
        effects.add(new Effect(key, effect));
    }

    /** A write executed but its completion tag will not come (a suspended portal); it counts once committed. */
    public void executed(CapturedStatement captured) {
        if (state == State.IDLE) {
            state = State.IMPLICIT;
        }
        buffer(captured);
    }

    /** The source reported an error: the current transaction, implicit or explicit, is aborted. */
    public void error() {
        state = switch (state) {
            case IDLE, IMPLICIT, IMPLICIT_FAILED -> State.IMPLICIT_FAILED;
            case EXPLICIT, FAILED -> State.FAILED;
        };
    }

    /** ReadyForQuery with transaction status 'I', 'T' or 'E'. */
    public void ready(char status) {
        if (status == 'I') {
            boolean failed = state == State.FAILED || state == State.IMPLICIT_FAILED;
            if (failed) {
                discard("an error rolled the transaction back");
            } else {
                release();
            }
            if (state != State.IDLE) {
                listener.ended(!failed);
            }
            savepoints.clear();
            state = State.IDLE;
        } else if (status == 'E') {
            state = State.FAILED;
        } else {
            state = State.EXPLICIT;
        }
    }

    /** The client's session ended: whatever is open was never committed. */
    public void sessionEnded() {
        discard("the session ended inside the transaction");
        savepoints.clear();
        state = State.IDLE;
    }

    private void popThrough(String name, boolean rollBack) {
        for (int i = savepoints.size() - 1; i >= 0; i--) {
            Savepoint sp = savepoints.get(i);
            // a name the classifier could not read (null) matches none: PostgreSQL refuses such a statement
            if (name != null && name.equals(sp.name())) {
                if (rollBack) {
                    List<CapturedStatement> undone = new ArrayList<>(buffer.subList(sp.size(), buffer.size()));
                    buffer.subList(sp.size(), buffer.size()).clear();
                    for (CapturedStatement s : undone) {
                        bufferTables.computeIfPresent(s.table(), (table, n) -> n == 1 ? null : n - 1);
                    }
                    effects.subList(sp.effects(), effects.size()).clear();
                    savepoints.subList(i + 1, savepoints.size()).clear();
                    if (!undone.isEmpty()) {
                        listener.undone(undone, name);
                    }
                } else {
                    savepoints.subList(i, savepoints.size()).clear();
                }
                return;
            }
        }
    }

    private void release() {
        if (!buffer.isEmpty()) {
            listener.committed(List.copyOf(buffer));
            clearBuffer();
        }
        effects.forEach(e -> e.apply.accept(e.times));
        effects.clear();
        savepoints.clear();
    }

    private void discard(String why) {
        if (!buffer.isEmpty()) {
            listener.discarded(List.copyOf(buffer), why);
            clearBuffer();
        }
        effects.clear();
        savepoints.clear();
    }
}
