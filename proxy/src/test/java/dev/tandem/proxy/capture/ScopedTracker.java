package dev.tandem.proxy.capture;

import dev.tandem.protocol.sql.ClassifiedStatement;
import java.util.List;

/** A transaction tracker that tells one {@link TransactionScoped} state what a session's transactions do. */
final class ScopedTracker {

    private ScopedTracker() {
    }

    static TransactionTracker of(TransactionScoped state) {
        return new TransactionTracker(new TransactionTracker.Listener() {
            @Override
            public void committed(List<CapturedStatement> statements) {
            }

            @Override
            public void ended(boolean committed) {
                state.transactionEnded(committed);
            }

            @Override
            public void savepoint(ClassifiedStatement.TxCommand command, String name) {
                switch (command) {
                    case SAVEPOINT -> state.savepoint(name);
                    case RELEASE -> state.release(name);
                    case ROLLBACK_TO_SAVEPOINT -> state.rollbackTo(name);
                    default -> {
                    }
                }
            }
        });
    }
}
