package dev.tandem.proxy.capture;

/** A mirrored write the source completed, and the capture it was made from. */
record Finished(CapturedStatement statement, StatementCapture capture) {
}
