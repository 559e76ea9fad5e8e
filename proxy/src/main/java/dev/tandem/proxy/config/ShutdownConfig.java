package dev.tandem.proxy.config;

import java.time.Duration;

/** @param gracePeriod after a stop signal, how long open sessions may finish before they are closed */
public record ShutdownConfig(Duration gracePeriod) {
}
