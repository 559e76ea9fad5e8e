package dev.tandem.proxy.capture;

import java.util.HashMap;
import java.util.Map;

/**
 * A session's named prepared statements or portals as the server holds them. A Parse or Bind creates its object only
 * when the server confirms it (ParseComplete, BindComplete); until then the new object is looked up first, since
 * later requests of the same batch refer to it, but a failure (the server skips to Sync) drops it and the confirmed
 * one of the same name, which the server still has, is used again.
 *
 * @param <T> what the capture keeps per name
 */
final class ServerNames<T> {

    private final Map<String, T> confirmed = new HashMap<>();
    private final Map<String, T> requested = new HashMap<>();

    /** A Parse or Bind was sent for {@code name}. */
    void requested(String name, T value) {
        requested.put(name, value);
    }

    /** What {@code name} refers to for the next request: the requested object if any, else the confirmed one. */
    T get(String name) {
        T value = requested.get(name);
        return value != null ? value : confirmed.get(name);
    }

    /** The server confirmed creating {@code value} under {@code name}. */
    void confirmed(String name, T value) {
        confirmed.put(name, value);
        requested.remove(name, value);
    }

    /** The server skipped the request that would have created {@code value}. */
    void skipped(String name, T value) {
        requested.remove(name, value);
    }

    /** The server confirmed a Close of {@code name}. */
    void closed(String name) {
        confirmed.remove(name);
    }

    /**
     * The server dropped every object it has (portals at the end of a transaction). Requested ones stay: their Bind
     * came after the Sync that ended the transaction, so the server creates them in the next.
     */
    void clearConfirmed() {
        confirmed.clear();
    }
}
