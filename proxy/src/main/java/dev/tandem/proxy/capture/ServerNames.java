package dev.tandem.proxy.capture;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A session's named prepared statements or portals as the server holds them. A Parse or Bind creates its object only
 * when the server confirms it (ParseComplete, BindComplete); a failure (the server skips to Sync) drops it, and the
 * confirmed one of the same name, which the server still has, stays.
 *
 * <p>A request that names an object is resolved twice ({@link Reference}): when the client sends it, to the object the
 * client last asked for under that name ({@link #latest}), and when the server answers it, to the object the server
 * holds then ({@link #held}): answers come in request order, so what is confirmed when an answer arrives is what the
 * server had when it ran that request. The two differ only for a client that pipelines a batch using a name while an
 * earlier batch that redefines it fails (or redefines a name it has not closed, which the server refuses).
 *
 * @param <T> what the capture keeps per name
 */
final class ServerNames<T> {

    private final Map<String, T> confirmed = new HashMap<>();
    /** Per name, the objects requested and not answered yet. */
    private final Map<String, Requested<T>> requested = new HashMap<>();
    /** The names requested since the client's last Sync. */
    private final Set<String> requestedInBatch = new HashSet<>();
    /** How many requested objects the look-ups went through, in all: for tests. */
    private long examined;

    /** A Parse or Bind was sent for {@code name}. */
    void requested(String name, T value) {
        requested.computeIfAbsent(name, n -> new Requested<>()).add(value);
        requestedInBatch.add(name);
    }

    /** The client sent a Sync: what it requests from now on is in another batch. */
    void synced() {
        requestedInBatch.clear();
    }

    /** What the client last asked {@code name} to be: the newest requested object if any, else the confirmed one. */
    T latest(String name) {
        Requested<T> values = requested.get(name);
        return values != null ? values.order.peekLast() : confirmed.get(name);
    }

    /** What the server holds under {@code name} now: the object it confirmed, or null. */
    T held(String name) {
        return confirmed.get(name);
    }

    /**
     * A request naming {@code name} sent now: resolved to {@link #latest} until the server answers it. When the
     * newest request for the name is in the same batch, the server runs this one only if that one succeeded, so it
     * finds that object; else it finds the confirmed one or any of those still requested, whichever the server
     * created last.
     */
    Reference<T> reference(String name) {
        T latest = latest(name);
        Requested<T> pending = requested.get(name);
        if (pending == null || requestedInBatch.contains(name)) {
            return new Reference<>(name, latest, latest == null ? List.of() : List.of(latest));
        }
        List<T> candidates = new ArrayList<>(pending.order.size() + 1);
        T held = confirmed.get(name);
        if (held != null) {
            candidates.add(held);
        }
        candidates.addAll(pending.order);
        return new Reference<>(name, latest, candidates);
    }

    /**
     * The server answered the request that holds {@code reference}: it used what it holds under the name now.
     *
     * @return whether that is not what the reference was resolved to when the request was sent
     */
    boolean answered(Reference<T> reference) {
        return reference.answered(held(reference.name));
    }

    /**
     * Whether the server may still use {@code value} for a request that names it through {@code reference}: the
     * reference is answered and {@code value} is what it got, or {@code value} is still requested or confirmed under
     * the name (one whose request the server skipped, or that it closed, is gone).
     */
    boolean possible(Reference<T> reference, T value) {
        if (reference.isAnswered()) {
            return reference.get() == value;
        }
        if (confirmed.get(reference.name) == value) {
            return true;
        }
        Requested<T> pending = requested.get(reference.name);
        examined++;
        return pending != null && pending.contains(value);
    }

    /** Whether the server holds {@code value} under the name {@code reference} names, as it confirmed. */
    boolean holds(Reference<T> reference, T value) {
        return value != null && confirmed.get(reference.name) == value;
    }

    /** The server confirmed creating {@code value} under {@code name}. */
    void confirmed(String name, T value) {
        confirmed.put(name, value);
        removeRequested(name, value);
    }

    /** The server skipped the request that would have created {@code value}. */
    void skipped(String name, T value) {
        removeRequested(name, value);
    }

    private void removeRequested(String name, T value) {
        Requested<T> values = requested.get(name);
        if (values == null || !values.contains(value)) {
            return;
        }
        // answers come in request order: the one answered is the oldest, unless the server skipped older ones
        for (Iterator<T> i = values.order.iterator(); i.hasNext(); ) {
            examined++;
            if (i.next() == value) {
                i.remove();
                values.removed(value);
                break;
            }
        }
        if (values.order.isEmpty()) {
            requested.remove(name);
        }
    }

    /** For tests: how many requested objects the look-ups went through, in all. */
    long examined() {
        return examined;
    }

    /** The server confirmed a Close of {@code name}. */
    void closed(String name) {
        confirmed.remove(name);
    }

    /**
     * The server dropped every named object it has, and kept the unnamed one ({@code DEALLOCATE ALL}, {@code DISCARD
     * ALL}).
     */
    void closedAllNamed() {
        confirmed.keySet().removeIf(name -> !name.isEmpty());
    }

    /**
     * The server dropped every object it has (portals at the end of a transaction). Requested ones stay: answers come
     * in request order, so their Bind came after what ended the transaction, and the server creates them in the next.
     */
    void clearConfirmed() {
        confirmed.clear();
    }

    /**
     * The objects requested under one name and not answered yet, oldest first, and told apart by identity in one step:
     * a pipelined batch binds thousands of portals under the unnamed one, and the forecast of what the source may
     * commit asks, for each of its Executes, whether the portal it bound is still among them ({@link #possible}).
     */
    private static final class Requested<T> {
        /** Up to this many objects, {@link #contains} looks through them: most names have one or two in flight. */
        private static final int SCANNED = 16;

        final ArrayDeque<T> order = new ArrayDeque<>(2);
        /** Each object in {@link #order}, with how many times it is there; made once there are more than SCANNED. */
        private Map<T, Integer> counts;

        void add(T value) {
            order.add(value);
            if (counts != null) {
                counts.merge(value, 1, Integer::sum);
            } else if (order.size() > SCANNED) {
                counts = new IdentityHashMap<>();
                for (T v : order) {
                    counts.merge(v, 1, Integer::sum);
                }
            }
        }

        boolean contains(T value) {
            if (counts != null) {
                return counts.containsKey(value);
            }
            for (T v : order) {
                if (v == value) {
                    return true;
                }
            }
            return false;
        }

        /** {@code value} was taken out of {@link #order} once. */
        void removed(T value) {
            if (counts != null) {
                counts.computeIfPresent(value, (v, n) -> n == 1 ? null : n - 1);
            }
        }
    }

    /**
     * What one request refers to by a name: provisionally, from when it is sent, what the client last asked the name
     * to be; once the server answered it, what the server used. Until then, {@link #candidates} are all the server may
     * use, the provisional one among them: what the capture decides before the answer (which Bind values to keep,
     * whether COPY data follows) holds for each of them.
     *
     * @param <T> what the capture keeps per name
     */
    static final class Reference<T> {
        private final String name;
        private T resolved;
        private List<T> candidates;
        private boolean answered;

        private Reference(String name, T latest, List<T> candidates) {
            this.name = name;
            this.resolved = latest;
            this.candidates = candidates;
        }

        String name() {
            return name;
        }

        /** What the request refers to: provisional until the server answered it. */
        T get() {
            return resolved;
        }

        /** What the server may use for the request: only {@link #get} once it answered. */
        List<T> candidates() {
            return candidates;
        }

        boolean isAnswered() {
            return answered;
        }

        private boolean answered(T held) {
            boolean changed = held != resolved;
            resolved = held;
            candidates = held == null ? List.of() : List.of(held);
            answered = true;
            return changed;
        }
    }
}
