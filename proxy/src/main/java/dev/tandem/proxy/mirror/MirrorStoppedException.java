package dev.tandem.proxy.mirror;

/** The applier stopped (closed, or failed on an unreadable spool) before the awaited record was applied. */
public final class MirrorStoppedException extends RuntimeException {

    MirrorStoppedException(String message) {
        super(message);
    }
}
