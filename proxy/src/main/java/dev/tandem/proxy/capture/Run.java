package dev.tandem.proxy.capture;

/** A statement an Execute may run: {@code prepared} bound to {@code portal}. */
record Run(Portal portal, Prepared prepared) {
}
