package dev.tandem.proxy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** The warnings a class logs while an action runs, as a person reads them: what tests of messages check. */
public final class LoggedWarnings {

    private LoggedWarnings() {
    }

    public static List<String> of(Class<?> source, Runnable action) {
        return of(source, Level.WARN, Level.WARN, action);
    }

    /** The warnings and errors a class logs while an action runs. */
    public static List<String> andErrorsOf(Class<?> source, Runnable action) {
        return of(source, Level.WARN, Level.ERROR, action);
    }

    /** Every line of INFO and above a class logs while an action runs. */
    public static List<String> infoAndAbove(Class<?> source, Runnable action) {
        return of(source, Level.INFO, Level.ERROR, action);
    }

    private static List<String> of(Class<?> source, Level lowest, Level highest, Runnable action) {
        Logger logger = (Logger) LoggerFactory.getLogger(source);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        logger.addAppender(events);
        try {
            action.run();
        } finally {
            logger.detachAppender(events);
        }
        return events.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(lowest)
                        && highest.isGreaterOrEqual(e.getLevel())).map(ILoggingEvent::getFormattedMessage)
                .toList();
    }
}
