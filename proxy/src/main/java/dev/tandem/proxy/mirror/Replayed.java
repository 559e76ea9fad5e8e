package dev.tandem.proxy.mirror;

import dev.tandem.proxy.capture.CapturedStatement;

/** A captured statement of the group's {@code member}-th transaction, replayed as it was sent. */
record Replayed(int member, CapturedStatement statement) {
}
