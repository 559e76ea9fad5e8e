package dev.tandem.proxy.config;

/** An enum whose constants are spelled in {@code tandem.yaml} and on the command line as {@link #configValue()}. */
interface ConfigChoice {

    String configValue();
}
