package dev.tandem.proxy.config;

import java.time.Duration;

/**
 * @param gracePeriod after a stop signal, how long open sessions may finish before they are closed
 * @param mirrorDrain once the sessions ended, how long the mirror may still apply what is spooled before the proxy
 *                    stops; the rest stays in the spool for the next start
 */
public record ShutdownConfig(Duration gracePeriod, Duration mirrorDrain) {
}
