package dev.tandem.proxy.config;

import java.time.Duration;

/** Capped exponential backoff between attempts to reach the target after a transient failure. */
public record RetryConfig(Duration minBackoff, Duration maxBackoff) {
}
