package dev.tandem.proxy.capture;

import dev.tandem.protocol.frontend.BoundParameters;

/**
 * A bound portal; {@code bind} holds the parameter values only when a statement the source may bind it to is
 * mirrored.
 */
final class Portal {
    /** Its statement: the one the client last parsed under the Bind's name until the source confirms the Bind. */
    final ServerNames.Reference<Prepared> statement;
    final BoundParameters bind;
    boolean executed;
    /**
     * Its statement was counted: at its first PortalSuspended or its CommandComplete, whichever comes first, so a
     * portal read in several Executes, or closed before its last row, counts once.
     */
    boolean accounted;

    Portal(ServerNames.Reference<Prepared> statement, BoundParameters bind) {
        this.statement = statement;
        this.bind = bind;
    }

    Prepared prepared() {
        return statement.get();
    }
}
